package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

func TestPost(t *testing.T) {
	e := newEnv(t, config{})
	body := `[{"id":"a","payload":"pa","sortindex":1},{"id":"b","payload":"pb"},` +
		`{"id":"c","payload":7},{"id":"d","colour":"red"},{"id":"e","sortindex":1000000000}]`
	r := e.do("POST", "/1.5/alice/storage/contacts", body).want(t, "POST", http.StatusOK, "")
	var res postResult
	r.decode(t, &res)
	if !slices.Equal(res.Success, []string{"a", "b"}) {
		t.Fatalf("success %v, want [a b]", res.Success)
	}
	for id, prefix := range map[string]string{"c": "invalid bso", "d": "unknown field colour", "e": "invalid bso"} {
		if !strings.HasPrefix(res.Failed[id], prefix) {
			t.Errorf("failed[%s] = %q, want %q…", id, res.Failed[id], prefix)
		}
	}
	if len(res.Failed) != 3 {
		t.Fatalf("failed %v, want c, d, e", res.Failed)
	}
	if res.Modified.String() != r.header.Get("X-Last-Modified") || r.header.Get("X-Weave-Timestamp") != r.header.Get("X-Last-Modified") {
		t.Fatalf("modified %s, X-Last-Modified %q, X-Weave-Timestamp %q; want all equal",
			res.Modified, r.header.Get("X-Last-Modified"), r.header.Get("X-Weave-Timestamp"))
	}
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "GET", http.StatusOK, `["a","b"]`)
}

func TestPostNewlines(t *testing.T) {
	e := newEnv(t, config{})
	body := "{\"id\":\"a\",\"payload\":\"pa\"}\n{\"id\":\"b\",\"payload\":\"pb\"}\n"
	var res postResult
	e.do("POST", "/1.5/alice/storage/contacts", body, header("Content-Type", "application/newlines")).
		want(t, "POST", http.StatusOK, "").decode(t, &res)
	if !slices.Equal(res.Success, []string{"a", "b"}) {
		t.Fatalf("success %v", res.Success)
	}
}

func TestPostOverMaxPostRecordsFailsTheRest(t *testing.T) {
	limits := store.DefaultLimits()
	limits.MaxPostRecords = 3
	e := newEnv(t, config{limits: limits})
	var recs []string
	for i := range 5 {
		recs = append(recs, fmt.Sprintf(`{"id":"r%d","payload":"x"}`, i))
	}
	var res postResult
	e.do("POST", "/1.5/alice/storage/contacts", "["+strings.Join(recs, ",")+"]").want(t, "POST", http.StatusOK, "").decode(t, &res)
	if len(res.Success) != 3 || res.Failed["r3"] != store.ReasonRetryBSO || res.Failed["r4"] != store.ReasonRetryBSO {
		t.Fatalf("success %v, failed %v; want r3 and r4 to fail %q", res.Success, res.Failed, store.ReasonRetryBSO)
	}
}

func TestPostRefusals(t *testing.T) {
	limits := store.DefaultLimits()
	limits.MaxRequestBytes = 1000
	e := newEnv(t, config{limits: limits})
	for _, tc := range []struct {
		name, body string
		opts       []reqOpt
		status     int
		code       string
	}{
		{"malformed JSON", `[{"id":"a"`, nil, 400, "6"},
		{"empty body", ``, nil, 400, "6"},
		{"an object, not an array", `{"id":"a"}`, nil, 400, ""},
		{"a record that is not an object", `["a"]`, nil, 400, "8"},
		{"a record without id", `[{"id":"a"},{"payload":"x"}]`, nil, 400, "8"},
		{"an id that is not a string", `[{"id":5}]`, nil, 400, "8"},
		{"a duplicate id", `[{"id":"a"},{"id":"a"}]`, nil, 400, "8"},
		{"a duplicate id of an invalid record", `[{"id":"a","colour":1},{"id":"a"}]`, nil, 400, "8"},
		{"a malformed line", "{\"id\":\"a\"}\n{", []reqOpt{header("Content-Type", "application/newlines")}, 400, "6"},
		{"unsupported content type", `[]`, []reqOpt{header("Content-Type", "application/x-www-form-urlencoded")}, 415, ""},
		{"X-Weave-Records over max_post_records", `[]`, []reqOpt{header("X-Weave-Records", "101")}, 400, "17"},
		{"X-Weave-Bytes over max_post_bytes", `[]`, []reqOpt{header("X-Weave-Bytes", "2621441")}, 400, "17"},
		{"X-Weave-Records not a number", `[]`, []reqOpt{header("X-Weave-Records", "many")}, 400, ""},
		{"body over max_request_bytes", `[{"id":"a","payload":"` + strings.Repeat("x", 1000) + `"}]`, nil, 413, "17"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("POST", "/1.5/alice/storage/contacts", tc.body, tc.opts...).want(t, tc.name, tc.status, tc.code)
		})
	}
	e.do("GET", "/1.5/alice/info/collections", "").want(t, "nothing was stored", http.StatusOK, "{}")
}

func TestZeroIVIsRefusedInCrypto(t *testing.T) {
	e := newEnv(t, config{})
	bad := `{\"ciphertext\":\"x\",\"IV\": \"AAAAAAAAAAAAAAAAAAAAAA==\",\"hmac\":\"y\"}`
	e.do("PUT", "/1.5/alice/storage/crypto/keys", `{"payload":"`+bad+`"}`).want(t, "PUT crypto/keys", http.StatusBadRequest, "8")
	e.do("POST", "/1.5/alice/storage/crypto", `[{"id":"keys","payload":"`+bad+`"}]`).want(t, "POST crypto", http.StatusBadRequest, "8")
	e.do("GET", "/1.5/alice/storage/crypto", "").want(t, "nothing in crypto", http.StatusOK, "[]")
	e.do("PUT", "/1.5/alice/storage/contacts/keys", `{"payload":"`+bad+`"}`).want(t, "PUT elsewhere", http.StatusOK, "")
}
