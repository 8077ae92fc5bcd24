package httpapi_test

import (
	"net/http"
	"testing"
)

func TestXIfUnmodifiedSince(t *testing.T) {
	e := newEnv(t, config{})
	first := e.put("contacts", "a", "x")
	e.tick()
	last := e.put("contacts", "b", "x")
	stale, current := header("X-If-Unmodified-Since", first.String()), header("X-If-Unmodified-Since", last.String())
	for _, tc := range []struct {
		name, method, path, body string
		opt                      reqOpt
		status                   int
	}{
		{"GET collection, current", "GET", "/1.5/alice/storage/contacts", "", current, 200},
		{"GET collection, stale", "GET", "/1.5/alice/storage/contacts", "", stale, 412},
		{"POST, stale", "POST", "/1.5/alice/storage/contacts", `[{"id":"c"}]`, stale, 412},
		{"batch open, stale", "POST", "/1.5/alice/storage/contacts?batch=true", `[{"id":"c"}]`, stale, 412},
		{"DELETE ids, stale", "DELETE", "/1.5/alice/storage/contacts?ids=a", "", stale, 412},
		{"DELETE collection, stale", "DELETE", "/1.5/alice/storage/contacts", "", stale, 412},
		{"PUT record b, stale", "PUT", "/1.5/alice/storage/contacts/b", `{"payload":"y"}`, stale, 412},
		{"DELETE record b, stale", "DELETE", "/1.5/alice/storage/contacts/b", "", stale, 412},
		{"GET record b, stale", "GET", "/1.5/alice/storage/contacts/b", "", stale, 412},
		{"PUT record a, unmodified since", "PUT", "/1.5/alice/storage/contacts/a", `{"payload":"y"}`, stale, 200},
		{"PUT new record, 0", "PUT", "/1.5/alice/storage/contacts/new", `{"payload":"y"}`, header("X-If-Unmodified-Since", "0"), 200},
		{"PUT existing record, 0", "PUT", "/1.5/alice/storage/contacts/b", `{"payload":"y"}`, header("X-If-Unmodified-Since", "0"), 412},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do(tc.method, tc.path, tc.body, tc.opt).want(t, tc.name, tc.status, "")
		})
	}
	e.do("GET", "/1.5/alice/storage/contacts/b", "").want(t, "b unchanged", http.StatusOK, `{"id":"b","modified":`+last.String()+`,"payload":"x"}`)
	now := e.do("GET", "/1.5/alice/storage/contacts", "").header.Get("X-Last-Modified")
	e.do("POST", "/1.5/alice/storage/contacts", `[{"id":"c"}]`, header("X-If-Unmodified-Since", now)).
		want(t, "POST, current", http.StatusOK, "")
}

func TestXIfModifiedSince(t *testing.T) {
	e := newEnv(t, config{})
	first := e.put("contacts", "a", "x")
	e.tick()
	last := e.put("contacts", "b", "x")
	for _, tc := range []struct {
		name, path, since string
		status            int
	}{
		{"collection, unchanged", "/1.5/alice/storage/contacts", last.String(), 304},
		{"collection, changed", "/1.5/alice/storage/contacts", first.String(), 200},
		{"record, unchanged since its write", "/1.5/alice/storage/contacts/a", first.String(), 304},
		{"record, changed", "/1.5/alice/storage/contacts/b", first.String(), 200},
		{"missing collection", "/1.5/alice/storage/nothing", "0", 304},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, "", header("X-If-Modified-Since", tc.since)).want(t, tc.name, tc.status, "")
			if tc.status == 304 && (r.body != "" || r.header.Get("X-Last-Modified") == "") {
				t.Fatalf("304 with body %q, X-Last-Modified %q", r.body, r.header.Get("X-Last-Modified"))
			}
		})
	}
}

func TestPreconditionHeaderErrors(t *testing.T) {
	e := newEnv(t, config{})
	e.put("contacts", "a", "x")
	for _, tc := range []struct {
		name, method, path, body string
		opts                     []reqOpt
	}{
		{"both headers", "GET", "/1.5/alice/storage/contacts", "",
			[]reqOpt{header("X-If-Modified-Since", "1"), header("X-If-Unmodified-Since", "1")}},
		{"negative", "GET", "/1.5/alice/storage/contacts", "", []reqOpt{header("X-If-Modified-Since", "-1")}},
		{"not a number", "PUT", "/1.5/alice/storage/contacts/a", `{}`, []reqOpt{header("X-If-Unmodified-Since", "yesterday")}},
		{"X-If-Modified-Since on a PUT", "PUT", "/1.5/alice/storage/contacts/a", `{}`, []reqOpt{header("X-If-Modified-Since", "1")}},
		{"X-If-Unmodified-Since on DELETE storage", "DELETE", "/1.5/alice/storage", "", []reqOpt{header("X-If-Unmodified-Since", "1")}},
		{"X-If-Unmodified-Since on info", "GET", "/1.5/alice/info/collections", "", []reqOpt{header("X-If-Unmodified-Since", "1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do(tc.method, tc.path, tc.body, tc.opts...).want(t, tc.name, http.StatusBadRequest, "")
		})
	}
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "storage intact", http.StatusOK, `["a"]`)
}
