package sqlite_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// The hub's bulk path: 100,000 contacts of about 1 KB of ciphertext each,
// written in Posts of 100 and read back with newer=0.
const (
	benchRecords = 100_000
	benchPost    = 100
	benchPayload = 1024
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

func writeAll(b *testing.B, s store.Store, ws []store.Write) {
	ctx := context.Background()
	for i := 0; i < len(ws); i += benchPost {
		res, err := s.Post(ctx, "alice", "contacts", ws[i:i+benchPost], store.Precondition{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Failed) > 0 {
			b.Fatalf("Post failed %v", res.Failed)
		}
	}
}

// BenchmarkWrite100k stores 100,000 records of 1 KB in Posts of 100 into a
// new database; one op is the whole 100,000.
func BenchmarkWrite100k(b *testing.B) {
	ws := benchWrites()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), fmt.Sprintf("hub%d.db", i)), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
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
// API: appends of 100, a commit every 10,000 (max_total_records), so that
// each transaction touches every page of the id index once rather than once
// per 100 records.
func BenchmarkWriteBatch100k(b *testing.B) {
	ws := benchWrites()
	ctx := context.Background()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("hub%d.db", i)), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
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
	ws := benchWrites()
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	writeAll(b, s, ws)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		writeAll(b, s, ws)
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkRead100k reads the 100,000 records back with newer=0, in pages
// of 1,000 or all at once; one op is the whole 100,000.
func BenchmarkRead100k(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	writeAll(b, s, benchWrites())
	for _, bc := range []struct {
		name  string
		limit int
		sort  store.Sort
	}{
		{"pages-of-1000", 1000, store.SortNone},
		{"pages-of-1000-oldest", 1000, store.SortOldest},
		{"pages-of-1000-newest", 1000, store.SortNewest},
		{"all-at-once", 0, store.SortNone},
		{"ids-only-all-at-once", -1, store.SortNone},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				q := store.Query{Limit: max(bc.limit, 0), Sort: bc.sort, IDsOnly: bc.limit < 0}
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
				if n != benchRecords {
					b.Fatalf("read %d records, want %d", n, benchRecords)
				}
			}
			b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
