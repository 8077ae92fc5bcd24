package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

func TestInfoEndpoints(t *testing.T) {
	e := newEnv(t, config{quota: 1 << 20})
	e.put("contacts", "rec1", strings.Repeat("a", 1024))
	e.put("contacts", "rec2", strings.Repeat("b", 1024))
	e.tick()
	last := e.put("meta", "global", strings.Repeat("c", 512))

	t.Run("collections", func(t *testing.T) {
		r := e.do("GET", "/1.5/alice/info/collections", "").want(t, "GET", http.StatusOK, "")
		if !strings.Contains(r.body, `"meta":`+last.String()) {
			t.Fatalf("body %q lacks meta with two decimals %s", r.body, last)
		}
		var m map[string]json.Number
		r.decode(t, &m)
		if len(m) != 2 || r.header.Get("X-Weave-Records") != "2" {
			t.Fatalf("got %v, X-Weave-Records %q; want 2 collections", m, r.header.Get("X-Weave-Records"))
		}
		if r.ts(t, "X-Last-Modified") != last {
			t.Fatalf("X-Last-Modified %s, want %s", r.header.Get("X-Last-Modified"), last)
		}
	})
	t.Run("collection_counts", func(t *testing.T) {
		var m map[string]int
		e.do("GET", "/1.5/alice/info/collection_counts", "").want(t, "GET", http.StatusOK, "").decode(t, &m)
		if m["contacts"] != 2 || m["meta"] != 1 || len(m) != 2 {
			t.Fatalf("got %v", m)
		}
	})
	t.Run("collection_usage", func(t *testing.T) {
		var m map[string]float64
		e.do("GET", "/1.5/alice/info/collection_usage", "").want(t, "GET", http.StatusOK, "").decode(t, &m)
		if m["contacts"] != 2 || m["meta"] != 0.5 || len(m) != 2 {
			t.Fatalf("got %v, want contacts 2 KB, meta 0.5 KB", m)
		}
	})
	t.Run("quota", func(t *testing.T) {
		var q []float64
		e.do("GET", "/1.5/alice/info/quota", "").want(t, "GET", http.StatusOK, "").decode(t, &q)
		if len(q) != 2 || q[0] != 2.5 || q[1] != 1024 {
			t.Fatalf("got %v, want [2.5 1024]", q)
		}
	})
	t.Run("configuration", func(t *testing.T) {
		r := e.do("GET", "/1.5/alice/info/configuration", "").want(t, "GET", http.StatusOK, "")
		var m map[string]int64
		r.decode(t, &m)
		l := store.DefaultLimits()
		for k, want := range map[string]int64{
			"max_request_bytes": l.MaxRequestBytes, "max_post_records": int64(l.MaxPostRecords),
			"max_post_bytes": l.MaxPostBytes, "max_total_records": int64(l.MaxTotalRecords),
			"max_total_bytes": l.MaxTotalBytes, "max_record_payload_bytes": l.MaxRecordPayloadBytes,
			"max_quota_limit": 1 << 20,
		} {
			if got, ok := m[k]; !ok || got != want {
				t.Errorf("%s = %d (present %v), want %d", k, got, ok, want)
			}
		}
		if got := r.header.Get("X-Last-Modified"); got != "0.00" {
			t.Fatalf("X-Last-Modified %q, want 0.00", got)
		}
	})
	t.Run("another user sees nothing", func(t *testing.T) {
		e.do("GET", "/1.5/bob/info/collections", "", as("bob", "secret-b")).want(t, "GET", http.StatusOK, "{}")
	})
}

func TestInfoQuotaWithoutQuota(t *testing.T) {
	e := newEnv(t, config{quota: -1})
	var q []*float64
	e.do("GET", "/1.5/alice/info/quota", "").want(t, "GET", http.StatusOK, "").decode(t, &q)
	if len(q) != 2 || q[0] == nil || *q[0] != 0 || q[1] != nil {
		t.Fatalf("got %s, want [0,null]", e.do("GET", "/1.5/alice/info/quota", "").body)
	}
	r := e.do("GET", "/1.5/alice/info/configuration", "")
	if strings.Contains(r.body, "max_quota_limit") {
		t.Fatalf("configuration without a quota: %s", r.body)
	}
}

func TestInfoCollectionsNotModified(t *testing.T) {
	e := newEnv(t, config{})
	e.put("contacts", "rec1", "x")
	last := e.put("meta", "global", "x")
	r := e.do("GET", "/1.5/alice/info/collections", "", header("X-If-Modified-Since", last.String()))
	r.want(t, "nothing changed", http.StatusNotModified, "")
	if r.ts(t, "X-Last-Modified") != last {
		t.Fatalf("304 with X-Last-Modified %s, want %s", r.header.Get("X-Last-Modified"), last)
	}
	// Deleting the newest collection moves the storage timestamp on, though
	// no remaining collection is newer.
	e.do("DELETE", "/1.5/alice/storage/meta", "").want(t, "DELETE", http.StatusOK, "")
	r = e.do("GET", "/1.5/alice/info/collections", "", header("X-If-Modified-Since", last.String()))
	r.want(t, "after a collection was deleted", http.StatusOK, "")
	if r.ts(t, "X-Last-Modified") <= last {
		t.Fatalf("X-Last-Modified %s, want after %s", r.header.Get("X-Last-Modified"), last)
	}
}
