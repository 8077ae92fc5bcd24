package postgres_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/postgres"
	"github.com/contactbridge/contactbridge/store/postgres/pgtest"
)

func put(t *testing.T, s store.Store, id, payload string) store.Timestamp {
	t.Helper()
	ts, err := s.Put(context.Background(), "alice", "contacts", store.Write{ID: id, Payload: &payload}, store.Precondition{})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func wantPayload(t *testing.T, s store.Store, id, payload string) {
	t.Helper()
	b, err := s.Get(context.Background(), "alice", "contacts", id)
	if err != nil || b.Payload != payload {
		t.Fatalf("Get %s = %+v, %v; want payload %q", id, b, err, payload)
	}
}

// TestReplicasOpenTogether opens one new schema from several stores at
// once, as replicas starting together do: the migration runs once and
// every Open succeeds.
func TestReplicasOpenTogether(t *testing.T) {
	dsn := pgtest.Start(t)
	schema := newSchema()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dsn := pgtest.Start(t)
	schema := newSchema()
	s := open(t, dsn, postgres.Options{Schema: schema})
	ts := put(t, s, "a", "kept")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dsn, postgres.Options{Schema: schema, Now: func() time.Time { return ts.Time().Add(-time.Hour) }})
	wantPayload(t, s, "a", "kept")
	if again := put(t, s, "b", "x"); again <= ts {
		t.Fatalf("after reopening with a clock an hour back, a write got %d, not after %d", again, ts)
	}
}

func TestSchemasAreSeparate(t *testing.T) {
	dsn := pgtest.Start(t)
	one := open(t, dsn, postgres.Options{Schema: newSchema()})
	two := open(t, dsn, postgres.Options{Schema: newSchema()})
	public := open(t, dsn, postgres.Options{})
	put(t, one, "a", "one")
	put(t, public, "a", "public")
	if _, err := two.Get(context.Background(), "alice", "contacts", "a"); err == nil {
		t.Fatal("a record written in one schema is visible in another")
	}
	wantPayload(t, one, "a", "one")
	wantPayload(t, public, "a", "public")
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	dsn := pgtest.Start(t)
	schema := newSchema()
	s := open(t, dsn, postgres.Options{Schema: schema})
	s.Close()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE `+pgx.Identifier{schema, "store_schema"}.Sanitize()+` SET version = 99`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
	if err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("Open of a schema of version 99: %v, want an error naming the version", err)
	}
}

func TestOpenFailsOnABadDSN(t *testing.T) {
	for name, dsn := range map[string]string{
		"malformed":       "postgres://[::1",
		"nothing listens": "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2",
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := postgres.Open(context.Background(), dsn, postgres.Options{}); err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

// TestPayloadsAreOpaqueBytes stores payloads that a text column would
// refuse or change: NUL bytes and invalid UTF-8, also through a batch.
func TestPayloadsAreOpaqueBytes(t *testing.T) {
	s := open(t, pgtest.Start(t), postgres.Options{Schema: newSchema()})
	ctx := context.Background()
	odd := "a\x00b\xff\xfe" + strings.Repeat("\x00", 3)
	put(t, s, "put", odd)
	wantPayload(t, s, "put", odd)
	b, err := s.BeginBatch(ctx, "alice", "contacts")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendBatch(ctx, "alice", "contacts", b, []store.Write{{ID: "batch", Payload: &odd}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitBatch(ctx, "alice", "contacts", b, nil, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	wantPayload(t, s, "batch", odd)
	if u, err := s.Info(ctx, "alice"); err != nil || u["contacts"].Bytes != 2*int64(len(odd)) {
		t.Fatalf("Info = %+v, %v; want %d bytes", u, err, 2*len(odd))
	}
}

// TestIDsSortBytewise checks the order of ids whatever the database's
// locale: "B" < "_" < "a" in bytes, unlike in most collations.
func TestIDsSortBytewise(t *testing.T) {
	s := open(t, pgtest.Start(t), postgres.Options{Schema: newSchema(), Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	ctx := context.Background()
	ws := []store.Write{{ID: "a"}, {ID: "_"}, {ID: "B"}, {ID: "~"}, {ID: "A b"}}
	if _, err := s.Post(ctx, "alice", "contacts", ws, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"A b", "B", "_", "a", "~"}
	for _, limit := range []int{0, 1, 2} {
		var got []string
		q := store.Query{Sort: store.SortOldest, Limit: limit}
		for {
			p, err := s.List(ctx, "alice", "contacts", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range p.Records {
				got = append(got, b.ID)
			}
			if p.NextOffset == "" {
				break
			}
			q.Offset = p.NextOffset
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("limit %d: ids in order %q, want %q", limit, got, want)
		}
	}
}

// TestOffsetKeysOutOfRange pages on with offsets whose keys no record can
// have: they read as positions, before or after every record.
func TestOffsetKeysOutOfRange(t *testing.T) {
	s := open(t, pgtest.Start(t), postgres.Options{Schema: newSchema()})
	ctx := context.Background()
	if _, err := s.Post(ctx, "alice", "contacts", []store.Write{{ID: "a", SortIndex: ptr[int64](5)}, {ID: "b"}}, store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []store.Sort{store.SortIndex, store.SortNewest, store.SortOldest} {
		for _, key := range []int64{1 << 40, -(1 << 40)} {
			off := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d:zz", sort, key))
			if _, err := s.List(ctx, "alice", "contacts", store.Query{Sort: sort, Limit: 1, Offset: off}); err != nil {
				t.Errorf("sort %d, offset key %d: %v", sort, key, err)
			}
		}
	}
}
