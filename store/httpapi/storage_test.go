package httpapi_test

import (
	"net/http"
	"testing"
)

func TestDeleteStorage(t *testing.T) {
	for _, path := range []string{"/1.5/alice/storage", "/1.5/alice"} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t, config{})
			e.put("contacts", "a", "x")
			last := e.put("meta", "global", "x")
			e.do("PUT", "/1.5/bob/storage/contacts/b", `{"payload":"bob"}`, as("bob", "secret-b")).want(t, "bob's PUT", http.StatusOK, "")

			r := e.do("DELETE", path, "").want(t, "DELETE", http.StatusOK, "null")
			if r.ts(t, "X-Last-Modified") <= last || r.header.Get("X-Weave-Timestamp") != r.header.Get("X-Last-Modified") {
				t.Fatalf("X-Last-Modified %q, X-Weave-Timestamp %q; want a new timestamp after %s",
					r.header.Get("X-Last-Modified"), r.header.Get("X-Weave-Timestamp"), last)
			}
			e.do("GET", "/1.5/alice/info/collections", "").want(t, "alice's collections", http.StatusOK, "{}")
			e.do("GET", "/1.5/alice/storage/contacts/a", "").want(t, "alice's record", http.StatusNotFound, "0")
			e.do("GET", "/1.5/bob/storage/contacts", "", as("bob", "secret-b")).want(t, "bob's records", http.StatusOK, `["b"]`)
		})
	}
}
