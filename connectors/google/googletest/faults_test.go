package googletest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"
)

// The 429 captured from a People API write (reference §5).
const recorded429 = `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED",
 "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure",
   "violations":[{"subject":"QUOTA_EXCEEDED","description":"FBS quota limit exceeded"}]}]}}`

func sameJSON(t *testing.T, want string, got []byte) {
	t.Helper()
	w, _ := json.Marshal(decodeJSON(t, want))
	g, _ := json.Marshal(decodeJSON(t, string(got)))
	if string(w) != string(g) {
		t.Errorf("body\n got %s\nwant %s", g, w)
	}
}

func TestFailInjection(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.Fail(2, 429, 1500*time.Millisecond)
	for range 2 {
		r := e.do("GET", "v1/people/me/connections?personFields=names", nil)
		r.wantError(t, 429, "RESOURCE_EXHAUSTED")
		sameJSON(t, recorded429, r.body)
		if got := r.header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After = %q, want 2", got)
		}
	}
	e.do("GET", "v1/people/me/connections?personFields=names", nil).wantOK(t)

	for _, tc := range []struct {
		code   int
		status string
	}{{500, "INTERNAL"}, {503, "UNAVAILABLE"}, {403, "PERMISSION_DENIED"}, {400, "INVALID_ARGUMENT"}} {
		e.s.Fail(1, tc.code, 0)
		r := e.do("POST", "v1/people:createContact", person("A", "B"))
		r.wantError(t, tc.code, tc.status)
		if r.header.Get("Retry-After") != "" {
			t.Errorf("Retry-After without one asked for")
		}
	}
	if n := len(e.u.People()); n != 0 {
		t.Errorf("failed requests wrote %d contacts", n)
	}
	// The token endpoint is not affected.
	e.s.Fail(1, 503, 0)
	e.refresh(testRefreshToken)
	e.do("GET", "v1/contactGroups", nil).wantError(t, 503, "UNAVAILABLE")
}

func TestQuota(t *testing.T) {
	e := newEnv(t, Options{Quota: Quota{CriticalReadsPerMinute: 3, FullSyncFirstPagesPerMinute: 1, CriticalWritesPerMinute: 1}})
	for range 3 {
		e.u.Put(person("A", "B"))
	}
	// The first page of a full sync has its own, smaller quota.
	p := e.list("personFields=names&pageSize=1")
	r := e.do("GET", "v1/people/me/connections?personFields=names&pageSize=1", nil)
	r.wantError(t, 429, "RESOURCE_EXHAUSTED")
	sameJSON(t, recorded429, r.body)
	if r.header.Get("Retry-After") != "" {
		t.Errorf("quota errors carry no Retry-After at Google (reference §5)")
	}
	// Later pages only use the read quota: 2 more reads fit, the next not.
	p = e.list("personFields=names&pageSize=1&pageToken=" + url.QueryEscape(p.NextPageToken))
	e.list("personFields=names&pageSize=1&pageToken=" + url.QueryEscape(p.NextPageToken))
	e.do("GET", "v1/people/me/connections?personFields=names&pageSize=1&pageToken="+url.QueryEscape(p.NextPageToken), nil).
		wantError(t, 429, "RESOURCE_EXHAUSTED")
	// Writes: one per minute.
	e.clock.Add(time.Minute)
	e.do("POST", "v1/people:createContact?personFields=names", person("C", "D")).wantOK(t)
	e.do("POST", "v1/people:createContact?personFields=names", person("E", "F")).wantError(t, 429, "RESOURCE_EXHAUSTED")
	if n := len(e.u.People()); n != 4 {
		t.Errorf("%d contacts: a refused write was written", n)
	}
	// The buckets refill the next minute.
	e.clock.Add(time.Minute)
	e.do("POST", "v1/people:createContact?personFields=names", person("E", "F")).wantOK(t)
}

func TestConcurrentWrites(t *testing.T) {
	t.Run("serialised by default", func(t *testing.T) {
		e := newEnv(t, Options{WriteLatency: 20 * time.Millisecond})
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				r := e.do("POST", "v1/people:createContact", person(fmt.Sprint(i), ""))
				if r.code != 200 {
					t.Errorf("concurrent write: %d %s", r.code, r.body)
				}
			})
		}
		wg.Wait()
		if n := len(e.u.People()); n != 5 {
			t.Errorf("%d contacts", n)
		}
	})
	t.Run("refused with ConcurrentWriteStatus", func(t *testing.T) {
		e := newEnv(t, Options{WriteLatency: 100 * time.Millisecond, ConcurrentWriteStatus: 503})
		codes := make(chan int, 4)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				codes <- e.do("POST", "v1/people:createContact", person(fmt.Sprint(i), "")).code
			})
		}
		wg.Wait()
		close(codes)
		var ok, refused int
		for c := range codes {
			switch c {
			case 200:
				ok++
			case 503:
				refused++
			}
		}
		if ok < 1 || refused < 1 || ok+refused != 4 {
			t.Errorf("%d ok, %d refused", ok, refused)
		}
		// Reads are never refused for overlapping.
		e.do("GET", "v1/people/me/connections?personFields=names", nil).wantOK(t)
	})
}

func TestRequestCounts(t *testing.T) {
	e := newEnv(t, Options{})
	name := e.u.Put(person("A", "B"))
	e.list("personFields=names")
	e.list("personFields=names")
	e.get(name, "names")
	e.do("POST", "v1/people:batchCreateContacts", map[string]any{"contacts": []any{map[string]any{"contactPerson": person("C", "")}}})
	e.do("GET", "v1/contactGroups", nil)
	e.doAs("", "GET", "v1/contactGroups", nil)
	want := map[string]int{"token": 1, "connections.list": 2, "get": 1, "batchCreateContacts": 1, "contactGroups.list": 2}
	got := e.s.Requests()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Requests()[%q] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	got["token"] = 99 // a copy
	if e.s.Requests()["token"] != 1 {
		t.Errorf("Requests returned its own map")
	}
}

// TestConcurrentUse runs many clients and test knobs at once; under -race it
// checks the fake's locking.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, Options{ReadAfterWrite: time.Second})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				switch (i + j) % 5 {
				case 0:
					e.do("POST", "v1/people:createContact", person(fmt.Sprint(i, j), ""))
				case 1:
					e.listAll("personFields=names,metadata,photos&pageSize=3&requestSyncToken=true")
				case 2:
					e.u.Put(person("knob", fmt.Sprint(j)))
				case 3:
					e.do("GET", "v1/contactGroups?groupFields=memberCount", nil)
				case 4:
					e.clock.Add(100 * time.Millisecond)
					e.u.People()
				}
			}
		})
	}
	wg.Wait()
	e.advance(time.Hour)
	full, _ := e.listAll("personFields=names")
	if len(full) != len(e.u.People()) {
		t.Errorf("listing has %d, store %d", len(full), len(e.u.People()))
	}
}
