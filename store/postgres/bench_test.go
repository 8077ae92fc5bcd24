package postgres_test

import (
	"context"
	"encoding/base64"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/postgres"
	"github.com/contactbridge/contactbridge/store/postgres/pgtest"
)

// The hub's bulk path, as in store/sqlite's benchmarks: 100,000 contacts of
// about 1 KB of ciphertext each, written in Posts of 100 and read back with
// newer= in pages of 1,000. cpu-s/op is the test process's CPU time only,
// not the server's.
const (
	benchRecords = 100_000
	benchPost    = 100
	benchPayload = 1024
	benchPage    = 1000
)

// benchWrites makes the records: GUID-like ids and base64 payloads of
// benchPayload bytes, as encrypted contacts look.
func benchWrites() []store.Write {
	r := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, benchPayload*3/4)
	ws := make([]store.Write, benchRecords)
	for i := range ws {
		var id [9]byte
		for j := range id {
			id[j] = byte(r.Uint32())
		}
		for j := range raw {
			raw[j] = byte(r.Uint32())
		}
		p := base64.StdEncoding.EncodeToString(raw)
		ws[i] = store.Write{ID: base64.RawURLEncoding.EncodeToString(id[:]), Payload: &p}
	}
	return ws
}

// writeAll posts ws in Posts of benchPost and returns the timestamp of the
// Post that wrote the middle record.
func writeAll(b *testing.B, s store.Store, ws []store.Write) store.Timestamp {
	ctx := context.Background()
	var mid store.Timestamp
	for i := 0; i < len(ws); i += benchPost {
		res, err := s.Post(ctx, "alice", "contacts", ws[i:i+benchPost], store.Precondition{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Failed) > 0 {
			b.Fatalf("Post failed %v", res.Failed)
		}
		if i <= len(ws)/2 {
			mid = res.Modified
		}
	}
	return mid
}

func benchStore(b *testing.B, dsn string) *postgres.Store {
	b.Helper()
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: newSchema()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkWrite100k stores 100,000 records of 1 KB in Posts of 100 into a
// new schema; one op is the whole 100,000.
func BenchmarkWrite100k(b *testing.B) {
	dsn := pgtest.Start(b)
	ws := benchWrites()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := benchStore(b, dsn)
		b.StartTimer()
		c0 := cpuTime()
		writeAll(b, s, ws)
		cpu += cpuTime() - c0
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkWriteBatch100k stores the same 100,000 records through the batch
// API: appends of 100, a commit every 10,000 (max_total_records).
func BenchmarkWriteBatch100k(b *testing.B) {
	dsn := pgtest.Start(b)
	ws := benchWrites()
	ctx := context.Background()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := benchStore(b, dsn)
		b.StartTimer()
		c0 := cpuTime()
		per := s.Limits().MaxTotalRecords
		for start := 0; start < len(ws); start += per {
			id, err := s.BeginBatch(ctx, "alice", "contacts")
			if err != nil {
				b.Fatal(err)
			}
			for j := start; j < start+per; j += benchPost {
				if _, err := s.AppendBatch(ctx, "alice", "contacts", id, ws[j:j+benchPost]); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := s.CommitBatch(ctx, "alice", "contacts", id, nil, store.Precondition{}); err != nil {
				b.Fatal(err)
			}
		}
		cpu += cpuTime() - c0
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkRewrite100k overwrites 100,000 existing records (a full resync).
func BenchmarkRewrite100k(b *testing.B) {
	s := benchStore(b, pgtest.Start(b))
	defer s.Close()
	ws := benchWrites()
	writeAll(b, s, ws)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		writeAll(b, s, ws)
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkRead100k reads the records back with newer=, in pages of 1,000
// or all at once; one op reads every record newer than the bound (all
// 100,000, or the later half).
func BenchmarkRead100k(b *testing.B) {
	s := benchStore(b, pgtest.Start(b))
	defer s.Close()
	mid := writeAll(b, s, benchWrites())
	for _, bc := range []struct {
		name  string
		newer store.Timestamp
		want  int
		limit int
		sort  store.Sort
	}{
		{"newer-0-pages-of-1000", 0, benchRecords, benchPage, store.SortNone},
		{"newer-0-pages-of-1000-oldest", 0, benchRecords, benchPage, store.SortOldest},
		{"newer-0-pages-of-1000-newest", 0, benchRecords, benchPage, store.SortNewest},
		{"newer-half-pages-of-1000", mid, benchRecords/2 - benchPost, benchPage, store.SortNone},
		{"newer-0-all-at-once", 0, benchRecords, 0, store.SortNone},
		{"newer-0-ids-only-all-at-once", 0, benchRecords, -1, store.SortNone},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				q := store.Query{Newer: bc.newer, Limit: max(bc.limit, 0), Sort: bc.sort, IDsOnly: bc.limit < 0}
				n := 0
				for {
					p, err := s.List(ctx, "alice", "contacts", q)
					if err != nil {
						b.Fatal(err)
					}
					n += len(p.Records)
					if p.NextOffset == "" {
						break
					}
					q.Offset = p.NextOffset
				}
				if n != bc.want {
					b.Fatalf("read %d records, want %d", n, bc.want)
				}
			}
			b.ReportMetric(float64(bc.want*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
