package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func TestUnknownPathIs404(t *testing.T) {
	e := newEnv(t, config{})
	for _, path := range []string{
		"/",
		"/1.5",
		"/1.5/alice/",
		"/1.6/alice/storage/contacts",
		"/1.5/alice/nothing",
		"/1.5/alice/info",
		"/1.5/alice/info/nothing",
		"/1.5/alice/storage/contacts/rec1/extra",
		"/1.5/alice/storage//rec1",
		"/1.5/alice/storage/contacts/",
	} {
		t.Run(path, func(t *testing.T) {
			e.do("GET", path, "").want(t, "GET "+path, http.StatusNotFound, "0")
		})
	}
}

func TestWrongMethodIs405WithAllow(t *testing.T) {
	e := newEnv(t, config{})
	for _, tc := range []struct{ method, path, allow string }{
		{"PATCH", "/1.5/alice/storage/contacts", "GET, POST, DELETE"},
		{"PUT", "/1.5/alice/storage/contacts", "GET, POST, DELETE"},
		{"POST", "/1.5/alice/storage/contacts/rec1", "GET, PUT, DELETE"},
		{"PATCH", "/1.5/alice/storage/contacts/rec1", "GET, PUT, DELETE"},
		{"GET", "/1.5/alice/storage", "DELETE"},
		{"GET", "/1.5/alice", "DELETE"},
		{"POST", "/1.5/alice/info/collections", "GET"},
		{"DELETE", "/1.5/alice/info/configuration", "GET"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, "").want(t, tc.method+" "+tc.path, http.StatusMethodNotAllowed, "1")
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestInvalidNamesAre400(t *testing.T) {
	e := newEnv(t, config{})
	long := "0123456789012345678901234567890123456789012345678901234567890123456789"
	for _, tc := range []struct{ name, method, path, body, code string }{
		{"collection with a bad character", "GET", "/1.5/alice/storage/con!tacts", "", "13"},
		{"collection of 33 characters", "GET", "/1.5/alice/storage/" + long[:33], "", "13"},
		{"collection name on PUT", "PUT", "/1.5/alice/storage/a%20b/rec1", `{"payload":"x"}`, "13"},
		{"record id of 65 characters", "GET", "/1.5/alice/storage/contacts/" + long[:65], "", "8"},
		{"record id with a comma", "PUT", "/1.5/alice/storage/contacts/a,b", `{"payload":"x"}`, "8"},
		{"record id with a control character", "DELETE", "/1.5/alice/storage/contacts/a%01b", "", "8"},
		{"invalid id in ids", "GET", "/1.5/alice/storage/contacts?ids=ok," + long[:65], "", "8"},
		{"invalid id in ids of a delete", "DELETE", "/1.5/alice/storage/contacts?ids=a%01", "", "8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do(tc.method, tc.path, tc.body).want(t, tc.name, http.StatusBadRequest, tc.code)
		})
	}
}

func TestRecordIDMayHoldAnEscapedSlash(t *testing.T) {
	e := newEnv(t, config{})
	e.put("contacts", "a%2Fb", "x")
	var b struct{ ID, Payload string }
	e.do("GET", "/1.5/alice/storage/contacts/a%2Fb", "").want(t, "GET", http.StatusOK, "").decode(t, &b)
	if b.ID != "a/b" || b.Payload != "x" {
		t.Fatalf("got %+v, want id a/b payload x", b)
	}
}

func TestWeaveTimestamp(t *testing.T) {
	for _, tc := range []struct {
		name string
		skew time.Duration
	}{
		{"handler clock behind the store's", -time24h},
		{"handler clock ahead of the store's", time24h},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, config{})
			e.hclock.Advance(tc.skew)
			w := e.do("PUT", "/1.5/alice/storage/contacts/rec1", `{"payload":"x"}`).want(t, "PUT", http.StatusOK, "")
			if w.header.Get("X-Weave-Timestamp") != w.header.Get("X-Last-Modified") || w.body != w.header.Get("X-Last-Modified") {
				t.Fatalf("a write: X-Weave-Timestamp %q, X-Last-Modified %q, body %q; want all equal",
					w.header.Get("X-Weave-Timestamp"), w.header.Get("X-Last-Modified"), w.body)
			}
			r := e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "GET", http.StatusOK, "")
			want := max(r.ts(t, "X-Last-Modified"), store.FromTime(e.hclock.Now()))
			if r.ts(t, "X-Weave-Timestamp") != want {
				t.Fatalf("a read: X-Weave-Timestamp %s, want max(now, X-Last-Modified) = %s", r.header.Get("X-Weave-Timestamp"), want)
			}
			// Errors carry it too (do checks every response).
			e.do("GET", "/1.5/alice/storage/contacts/missing", "").want(t, "GET missing", http.StatusNotFound, "0")
			e.do("GET", "/1.5/alice/storage/contacts", "", as("", "")).want(t, "no credentials", http.StatusUnauthorized, "")
		})
	}
}
