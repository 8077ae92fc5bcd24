package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestOverQuotaIs400With14(t *testing.T) {
	e := newEnv(t, config{quota: 2048})
	r := e.do("PUT", "/1.5/alice/storage/contacts/a", `{"payload":"`+strings.Repeat("a", 1024)+`"}`).want(t, "PUT under quota", http.StatusOK, "")
	if got := r.header.Get("X-Weave-Quota-Remaining"); got != "1.00" {
		t.Fatalf("X-Weave-Quota-Remaining %q, want 1.00 (KB)", got)
	}
	e.do("PUT", "/1.5/alice/storage/contacts/b", `{"payload":"`+strings.Repeat("b", 1025)+`"}`).
		want(t, "PUT past the quota", http.StatusBadRequest, "14")
	e.do("POST", "/1.5/alice/storage/contacts", `[{"id":"c","payload":"c"},{"id":"d","payload":"`+strings.Repeat("d", 1024)+`"}]`).
		want(t, "POST past the quota", http.StatusBadRequest, "14")
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "nothing of the refused writes", http.StatusOK, `["a"]`)

	// The quota is per collection.
	r = e.do("PUT", "/1.5/alice/storage/other/b", `{"payload":"`+strings.Repeat("b", 1536)+`"}`).want(t, "PUT to another collection", http.StatusOK, "")
	if got := r.header.Get("X-Weave-Quota-Remaining"); got != "0.50" {
		t.Fatalf("X-Weave-Quota-Remaining %q, want 0.50", got)
	}
	r = e.do("DELETE", "/1.5/alice/storage/contacts/a", "").want(t, "DELETE", http.StatusOK, "")
	if got := r.header.Get("X-Weave-Quota-Remaining"); got != "2.00" {
		t.Fatalf("after DELETE: X-Weave-Quota-Remaining %q, want 2.00", got)
	}
}

func TestNoQuotaRemainingWithoutQuota(t *testing.T) {
	e := newEnv(t, config{quota: -1})
	r := e.do("PUT", "/1.5/alice/storage/contacts/a", `{"payload":"x"}`).want(t, "PUT", http.StatusOK, "")
	if got, ok := r.header["X-Weave-Quota-Remaining"]; ok {
		t.Fatalf("X-Weave-Quota-Remaining %q without a quota", got)
	}
}
