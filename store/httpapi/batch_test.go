package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

// openBatch opens a batch on contacts with body and returns its id.
func (e *env) openBatch(body string) string {
	e.t.Helper()
	var res postResult
	e.do("POST", "/1.5/alice/storage/contacts?batch=true", body).want(e.t, "open batch", http.StatusAccepted, "").decode(e.t, &res)
	if res.Batch == "" {
		e.t.Fatal("open batch: no batch id")
	}
	return res.Batch
}

func TestBatchLifecycle(t *testing.T) {
	e := newEnv(t, config{})
	before := e.put("contacts", "old", "x")

	var res postResult
	r := e.do("POST", "/1.5/alice/storage/contacts?batch=true", `[{"id":"a","payload":"pa"},{"id":"bad","ttl":"x"}]`).
		want(t, "open", http.StatusAccepted, "")
	r.decode(t, &res)
	if res.Batch == "" || !slices.Equal(res.Success, []string{"a"}) || !strings.HasPrefix(res.Failed["bad"], "invalid bso") {
		t.Fatalf("open: %s", r.body)
	}
	if r.ts(t, "X-Last-Modified") != before {
		t.Fatalf("open: X-Last-Modified %s, want the collection's %s", r.header.Get("X-Last-Modified"), before)
	}
	batch := url.QueryEscape(res.Batch)

	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch, `[{"id":"b","payload":"pb"}]`).
		want(t, "append", http.StatusAccepted, "").decode(t, &res)
	if !slices.Equal(res.Success, []string{"b"}) || res.Batch == "" {
		t.Fatalf("append: %+v", res)
	}
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "staged records are invisible", http.StatusOK, `["old"]`)

	e.tick()
	r = e.do("POST", "/1.5/alice/storage/contacts?batch="+batch+"&commit=TRUE", `[{"id":"c","payload":"pc"}]`).
		want(t, "commit", http.StatusOK, "")
	r.decode(t, &res)
	commit := r.ts(t, "X-Last-Modified")
	if res.Modified.String() != commit.String() || commit <= before {
		t.Fatalf("commit: modified %s, X-Last-Modified %s, before %s", res.Modified, commit, before)
	}
	slices.Sort(res.Success)
	if !slices.Equal(res.Success, []string{"a", "b", "c"}) {
		t.Fatalf("commit success %v, want a b c", res.Success)
	}
	r = e.do("GET", "/1.5/alice/storage/contacts?full=1&newer="+before.String(), "").want(t, "GET", http.StatusOK, "")
	for _, id := range []string{"a", "b", "c"} {
		if !strings.Contains(r.body, `{"id":"`+id+`","modified":`+commit.String()+`,`) {
			t.Fatalf("record %s lacks the commit timestamp %s: %s", id, commit, r.body)
		}
	}

	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch+"&commit=true", `[]`).
		want(t, "a committed batch cannot be committed again", http.StatusBadRequest, "")
}

func TestBatchUnknownOrExpired(t *testing.T) {
	e := newEnv(t, config{})
	e.do("POST", "/1.5/alice/storage/contacts?batch=nosuchbatch", `[]`).want(t, "append to an unknown batch", http.StatusBadRequest, "")
	e.do("POST", "/1.5/alice/storage/contacts?batch=nosuchbatch&commit=true", `[]`).want(t, "commit an unknown batch", http.StatusBadRequest, "")

	batch := url.QueryEscape(e.openBatch(`[{"id":"a","payload":"pa"}]`))
	e.do("POST", "/1.5/alice/storage/other?batch="+batch+"&commit=true", `[]`).
		want(t, "commit to another collection", http.StatusBadRequest, "")
	e.do("POST", "/1.5/bob/storage/contacts?batch="+batch+"&commit=true", `[]`, as("bob", "secret-b")).
		want(t, "commit as another user", http.StatusBadRequest, "")

	e.clock.Advance(store.BatchLifetime + time.Second)
	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch, `[{"id":"b"}]`).want(t, "append to an expired batch", http.StatusBadRequest, "")
	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch+"&commit=true", `[]`).want(t, "commit an expired batch", http.StatusBadRequest, "")
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "nothing was stored", http.StatusOK, "[]")
}

func TestBatchParameters(t *testing.T) {
	e := newEnv(t, config{})
	e.do("POST", "/1.5/alice/storage/contacts?commit=true", `[]`).want(t, "commit without batch", http.StatusBadRequest, "")
	e.do("POST", "/1.5/alice/storage/contacts?batch=true&commit=yes", `[]`).want(t, "commit not true", http.StatusBadRequest, "")
	e.do("POST", "/1.5/alice/storage/contacts?batch=", `[]`).want(t, "empty batch id", http.StatusBadRequest, "")
	var res postResult
	e.do("POST", "/1.5/alice/storage/contacts?batch=true&commit=true", `[{"id":"a","payload":"x"}]`).
		want(t, "batch=true&commit=true is a plain POST", http.StatusOK, "").decode(t, &res)
	if res.Batch != "" || !slices.Equal(res.Success, []string{"a"}) {
		t.Fatalf("got %+v", res)
	}
}

func TestBatchEmptyCommitBodies(t *testing.T) {
	e := newEnv(t, config{})
	for _, tc := range []struct {
		name, ctype, body string
		status            int
	}{
		{"JSON []", "application/json", "[]", http.StatusOK},
		{"JSON {}", "application/json", "{}", http.StatusBadRequest},
		{"JSON empty", "application/json", "", http.StatusBadRequest},
		{"newlines empty", "application/newlines", "", http.StatusOK},
		{"newlines \\n", "application/newlines", "\n", http.StatusBadRequest},
		{"newlines {}", "application/newlines", "{}", http.StatusBadRequest},
		{"newlines []", "application/newlines", "[]", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			batch := url.QueryEscape(e.openBatch(`[{"id":"a","payload":"x"}]`))
			e.do("POST", "/1.5/alice/storage/contacts?batch="+batch+"&commit=true", tc.body, header("Content-Type", tc.ctype)).
				want(t, tc.name, tc.status, "")
		})
	}
}

func TestBatchTotalsOverLimit(t *testing.T) {
	limits := store.DefaultLimits()
	limits.MaxTotalRecords = 3
	e := newEnv(t, config{limits: limits})
	e.do("POST", "/1.5/alice/storage/contacts?batch=true", `[]`, header("X-Weave-Total-Bytes", "262144001")).
		want(t, "X-Weave-Total-Bytes over max_total_bytes", http.StatusBadRequest, "17")
	e.do("POST", "/1.5/alice/storage/contacts?batch=true", `[]`, header("X-Weave-Total-Records", "4")).
		want(t, "X-Weave-Total-Records over max_total_records", http.StatusBadRequest, "17")
	batch := url.QueryEscape(e.openBatch(`[{"id":"a","payload":"x"},{"id":"b","payload":"x"}]`))
	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch, `[{"id":"c","payload":"x"},{"id":"d","payload":"x"}]`).
		want(t, "staging past max_total_records", http.StatusBadRequest, "17")
}

func TestOverQuotaMidBatchStoresNothing(t *testing.T) {
	e := newEnv(t, config{quota: 100})
	e.put("contacts", "old", strings.Repeat("o", 40))
	batch := url.QueryEscape(e.openBatch(`[{"id":"a","payload":"` + strings.Repeat("a", 30) + `"}]`))
	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch, `[{"id":"b","payload":"`+strings.Repeat("b", 31)+`"}]`).
		want(t, "append (staging does not count)", http.StatusAccepted, "")
	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch+"&commit=true", `[]`).
		want(t, "commit past the quota", http.StatusBadRequest, "14")
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "nothing committed", http.StatusOK, `["old"]`)
	e.do("POST", "/1.5/alice/storage/contacts?batch="+batch+"&commit=true", `[]`).
		want(t, "the over-quota commit ended the batch", http.StatusBadRequest, "")
}
