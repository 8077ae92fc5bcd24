package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

func TestRecordLifecycle(t *testing.T) {
	e := newEnv(t, config{})
	r := e.do("PUT", "/1.5/alice/storage/contacts/rec1", `{"payload":"one","sortindex":5,"ttl":3600}`).want(t, "PUT", http.StatusOK, "")
	created := r.ts(t, "X-Last-Modified")
	if r.body != created.String() {
		t.Fatalf("PUT body %q, want the new timestamp %s", r.body, created)
	}

	r = e.do("GET", "/1.5/alice/storage/contacts/rec1", "").want(t, "GET", http.StatusOK, "")
	want := `{"id":"rec1","modified":` + created.String() + `,"sortindex":5,"payload":"one"}`
	if r.body != want {
		t.Fatalf("GET: %s, want %s (ttl never echoed)", r.body, want)
	}
	if r.ts(t, "X-Last-Modified") != created {
		t.Fatalf("GET X-Last-Modified %s, want %s", r.header.Get("X-Last-Modified"), created)
	}

	e.tick()
	// Absent fields are kept; the body may repeat the path's id and carry
	// the ignored modified and collection.
	r = e.do("PUT", "/1.5/alice/storage/contacts/rec1", `{"id":"rec1","sortindex":7,"modified":1,"collection":"x"}`).want(t, "PUT again", http.StatusOK, "")
	updated := r.ts(t, "X-Last-Modified")
	if updated <= created {
		t.Fatalf("second PUT at %s, not after %s", updated, created)
	}
	e.do("GET", "/1.5/alice/storage/contacts/rec1", "").
		want(t, "GET after a partial PUT", http.StatusOK, `{"id":"rec1","modified":`+updated.String()+`,"sortindex":7,"payload":"one"}`)

	// An explicit null payload takes the default.
	r = e.do("PUT", "/1.5/alice/storage/contacts/rec1", `{"payload":null}`).want(t, "PUT null", http.StatusOK, "")
	e.do("GET", "/1.5/alice/storage/contacts/rec1", "").
		want(t, "GET after null payload", http.StatusOK, `{"id":"rec1","modified":`+r.body+`,"sortindex":7,"payload":""}`)

	r = e.do("DELETE", "/1.5/alice/storage/contacts/rec1", "").want(t, "DELETE", http.StatusOK, "")
	if r.body != `{"modified":`+r.header.Get("X-Last-Modified")+`}` {
		t.Fatalf("DELETE body %q, X-Last-Modified %q", r.body, r.header.Get("X-Last-Modified"))
	}
	e.do("GET", "/1.5/alice/storage/contacts/rec1", "").want(t, "GET deleted", http.StatusNotFound, "0")
	e.do("DELETE", "/1.5/alice/storage/contacts/rec1", "").want(t, "DELETE deleted", http.StatusNotFound, "0")
	e.do("GET", "/1.5/alice/storage/nothing/rec1", "").want(t, "GET in a missing collection", http.StatusNotFound, "0")
}

func TestPutRefusals(t *testing.T) {
	limits := store.DefaultLimits()
	limits.MaxRecordPayloadBytes = 100
	limits.MaxRequestBytes = 1000
	e := newEnv(t, config{limits: limits})
	path := "/1.5/alice/storage/contacts/rec1"
	for _, tc := range []struct {
		name, body, ctype string
		status            int
		code              string
	}{
		{"malformed JSON", `{"payload":`, "application/json", 400, "6"},
		{"empty body", ``, "application/json", 400, "6"},
		{"not an object", `["x"]`, "application/json", 400, "8"},
		{"unknown field", `{"payload":"x","colour":"red"}`, "application/json", 400, "8"},
		{"id differs from the path", `{"id":"rec2","payload":"x"}`, "application/json", 400, "8"},
		{"payload not a string", `{"payload":5}`, "application/json", 400, "8"},
		{"sortindex not an integer", `{"sortindex":1.5}`, "application/json", 400, "8"},
		{"sortindex out of range", `{"sortindex":1000000000}`, "application/json", 400, "8"},
		{"negative ttl", `{"ttl":-1}`, "application/json", 400, "8"},
		{"payload over max_record_payload_bytes", `{"payload":"` + strings.Repeat("x", 101) + `"}`, "application/json", 400, "17"},
		{"body over max_request_bytes", `{"payload":"` + strings.Repeat("x", 1000) + `"}`, "application/json", 413, "17"},
		{"unsupported content type", `{"payload":"x"}`, "application/xml", 415, ""},
		{"newlines on a PUT", `{"payload":"x"}`, "application/newlines", 415, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("PUT", path, tc.body, header("Content-Type", tc.ctype)).want(t, tc.name, tc.status, tc.code)
		})
	}
	e.do("GET", path, "").want(t, "nothing was stored", http.StatusNotFound, "0")
	e.do("PUT", path, `{"payload":"x"}`, header("Content-Type", "text/plain; charset=utf-8")).want(t, "text/plain is JSON", http.StatusOK, "")
}

// TestChunkedBodyOverLimitIs413 sends a body without Content-Length.
func TestChunkedBodyOverLimitIs413(t *testing.T) {
	limits := store.DefaultLimits()
	limits.MaxRequestBytes = 1000
	e := newEnv(t, config{limits: limits})
	body := `{"payload":"` + strings.Repeat("x", 2000) + `"}`
	req, err := http.NewRequest("PUT", e.srv.URL+"/1.5/alice/storage/contacts/rec1", struct{ *strings.Reader }{strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", "secret-a")
	req.Header.Set("Content-Type", "application/json")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if req.ContentLength != 0 || res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("content length %d, status %d; want a chunked request answered 413", req.ContentLength, res.StatusCode)
	}
}
