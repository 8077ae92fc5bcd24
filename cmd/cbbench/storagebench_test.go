package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store/postgres/pgtest"
)

func TestStorageRecords(t *testing.T) {
	recs := storageRecords(1, 7, 500, 1000)
	if len(recs) != 500 {
		t.Fatalf("%d records, want 500", len(recs))
	}
	ids := map[string]bool{}
	for i, r := range recs {
		if len(r.ID) != 12 {
			t.Errorf("record %d: id %q is not 12 characters", i, r.ID)
		}
		if _, err := base64.RawURLEncoding.DecodeString(r.ID); err != nil {
			t.Errorf("record %d: id %q is not base64url: %v", i, r.ID, err)
		}
		if ids[r.ID] {
			t.Errorf("record %d: id %q repeats", i, r.ID)
		}
		ids[r.ID] = true
		if n := len(r.Payload); n < 950 || n > 1000 {
			t.Errorf("record %d: payload of %d bytes, want 950–1000", i, n)
		}
		var env struct{ Ciphertext, IV, HMAC string }
		if err := json.Unmarshal([]byte(r.Payload), &env); err != nil || env.Ciphertext == "" || env.IV == "" || len(env.HMAC) != 64 {
			t.Errorf("record %d: payload is not a v5 envelope (%v): %.80s", i, err, r.Payload)
		}
	}
	again := storageRecords(1, 7, 500, 1000)
	if again[499] != recs[499] {
		t.Error("the records of one seed and user differ between two calls")
	}
	if other := storageRecords(1, 8, 1, 1000); other[0].ID == recs[0].ID {
		t.Error("users 7 and 8 have the same first id")
	}
}

func TestSummarise(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarise(ds)
	want := Latency{P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("summarise(1…100 ms) = %+v, want %+v", got, want)
	}
	if got := summarise([]time.Duration{3 * time.Millisecond}); got.P50 != 3*time.Millisecond || got.P99 != 3*time.Millisecond {
		t.Errorf("summarise of one latency = %+v, want it everywhere", got)
	}
	if got := summarise(nil); got != (Latency{}) {
		t.Errorf("summarise(nil) = %+v, want zeros", got)
	}
}

// TestStorageBenchmark runs `cbbench storage` at a small size, with pages
// smaller than a user's records so that the reads follow offsets, against
// a contactbridge built from this module: every check passes and every
// phase is reported. PostgreSQL is served by a server the benchmark
// starts, or on the server of pgtest.EnvDSN.
func TestStorageBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("builds contactbridge: not in -short")
	}
	dir := t.TempDir()
	bin, err := buildContactbridge(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{backendSQLite, backendPostgres} {
		t.Run(backend, func(t *testing.T) {
			sb := &storageBench{Backends: []string{backend}, Users: 3, Records: 50, Batch: 20, Page: 20, Clients: []int{1, 2},
				ReadRounds: 2, PayloadBytes: 1000, Seed: 1, Contactbridge: bin, WorkDir: dir}
			if backend == backendPostgres && os.Getenv(pgtest.EnvDSN) != "" {
				sb.Postgres = pgtest.Start(t)
			}
			res, err := sb.Run(context.Background())
			if errors.Is(err, pgtest.ErrNotInstalled) {
				msg := "**** " + err.Error() + ": THE STORAGE BENCHMARK AGAINST POSTGRESQL DOES NOT RUN (apt-get install postgresql) ****"
				if os.Getenv("CI") == "true" {
					t.Fatal(msg + " (CI=true: a missing server is a failure)")
				}
				t.Skip(msg)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkStorageResult(t, sb, res)
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "cbbench-storage-*")); len(left) > 0 {
		t.Errorf("temporary folders left behind: %v", left)
	}
}

// checkStorageResult asserts what a run of sb must have measured.
func checkStorageResult(t *testing.T, sb *storageBench, res *storageResult) {
	t.Helper()
	if err := res.Checks.err(); err != nil {
		t.Errorf("checks failed: %v", err)
	}
	if len(res.Checks) != 1+3*len(sb.Clients) {
		t.Errorf("%d checks, want %d", len(res.Checks), 1+3*len(sb.Clients))
	}
	if len(res.Backends) != 1 {
		t.Fatalf("%d backends measured, want 1", len(res.Backends))
	}
	be := res.Backends[0]
	if len(be.Phases) != 1+2*len(sb.Clients) {
		t.Fatalf("phases %+v, want the first requests, then a load and a read per number of clients", be.Phases)
	}
	login := be.Phases[0]
	if login.Requests != sb.Users {
		t.Errorf("first requests: %d, want one per user (%d)", login.Requests, sb.Users)
	}
	for k, c := range sb.Clients {
		load, read := be.Phases[1+2*k], be.Phases[2+2*k]
		// 50 records in POSTs of 20: 3 per user; pages of 20: 3 per read.
		if load.Clients != c || load.Requests != sb.Users*3 || load.Records != sb.Users*sb.Records {
			t.Errorf("load with %d clients: %+v, want 3 POSTs and %d records per user", c, load, sb.Records)
		}
		if read.Clients != c || read.Requests != sb.Users*3*sb.ReadRounds || read.Records != sb.Users*sb.Records*sb.ReadRounds {
			t.Errorf("read with %d clients: %+v, want 3 pages and %d records per user and round", c, read, sb.Records)
		}
		if load.Latency.P99 <= 0 || load.Latency.P99 < load.Latency.P50 || read.Latency.Max < read.Latency.P99 {
			t.Errorf("latencies out of order: load %+v, read %+v", load.Latency, read.Latency)
		}
	}
	if runtime.GOOS == "linux" {
		last := be.Phases[len(be.Phases)-1].Memory
		if be.Idle.RSS <= 0 || last.RSS <= 0 || last.HWM < last.RSS || last.Anon <= 0 {
			t.Errorf("server memory idle %+v, at the end %+v: want VmRSS, RssAnon and VmHWM ≥ VmRSS", be.Idle, last)
		}
	}
	var md bytes.Buffer
	if err := writeStorageMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### " + be.Name + ": ", "| server started, no request yet |", "| load: POST 3 × 20 records per user | 2 |",
		"| read: GET pages of 20 (full, newer=0), every user 2× | 1 |", "### Checks"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, md.String())
		}
	}
}
