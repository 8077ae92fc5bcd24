package sqlite_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
	"github.com/contactbridge/contactbridge/store/storetest"
)

func open(t *testing.T, path string, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts storetest.Options) store.Store {
		return open(t, filepath.Join(t.TempDir(), "hub.db"),
			sqlite.Options{QuotaBytes: opts.QuotaBytes, Limits: opts.Limits, Now: opts.Now})
	})
}

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

func TestFilesAreCreatedPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path, sqlite.Options{})
	put(t, s, "a", "x")
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(f), mode)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s := open(t, path, sqlite.Options{})
	ts := put(t, s, "a", "kept")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, sqlite.Options{Now: func() time.Time { return ts.Time().Add(-time.Hour) }})
	wantPayload(t, s, "a", "kept")
	if again := put(t, s, "b", "x"); again <= ts {
		t.Fatalf("after reopening with a clock an hour back, a write got %d, not after %d", again, ts)
	}
}

// TestSurvivesCrashWithoutCheckpoint copies the database while the store is
// open, its last writes only in the WAL, as a killed process leaves it.
func TestSurvivesCrashWithoutCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.db")
	s := open(t, path, sqlite.Options{})
	put(t, s, "a", "one")
	put(t, s, "b", "two")
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("want the writes in a non-empty WAL: %v, %v", fi, err)
	}
	crashed := filepath.Join(t.TempDir(), "hub.db")
	for _, suffix := range []string{"", "-wal"} {
		copyFile(t, path+suffix, crashed+suffix)
	}
	c := open(t, crashed, sqlite.Options{})
	wantPayload(t, c, "a", "one")
	wantPayload(t, c, "b", "two")
}

// TestTwoStoresOnOneFile is two processes sharing a database: their writes
// wait for each other and timestamps still increase.
func TestTwoStoresOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	s1 := open(t, path, sqlite.Options{Now: now})
	s2 := open(t, path, sqlite.Options{Now: now})
	t1 := put(t, s1, "a", "one")
	t2 := put(t, s2, "b", "two")
	t3 := put(t, s1, "c", "three")
	if !(t1 < t2 && t2 < t3) {
		t.Fatalf("timestamps %d, %d, %d from two stores on one file: want strictly increasing", t1, t2, t3)
	}
	wantPayload(t, s1, "b", "two")
	wantPayload(t, s2, "c", "three")
}

func TestOpenFailsOnABadPath(t *testing.T) {
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "missing", "hub.db"), sqlite.Options{})
	if err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
