package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

// env is what a case works with: the store, its clock, and helpers that
// fail the test on an unexpected error.
type env struct {
	s     store.Store
	clock *Clock
	ctx   context.Context
	user  string
}

// str, i64 make the pointers a store.Write takes.
func str(s string) *string { return &s }
func i64(v int64) *int64   { return &v }

// rec is a write of a payload.
func rec(id, payload string) store.Write { return store.Write{ID: id, Payload: str(payload)} }

// recs are writes of ids, each with payload "p-<id>".
func recs(ids ...string) []store.Write {
	ws := make([]store.Write, len(ids))
	for i, id := range ids {
		ws[i] = rec(id, "p-"+id)
	}
	return ws
}

func (e *env) put(t *testing.T, coll string, w store.Write) store.Timestamp {
	t.Helper()
	ts, err := e.s.Put(e.ctx, e.user, coll, w, store.Precondition{})
	if err != nil {
		t.Fatalf("Put %s/%s: %v", coll, w.ID, err)
	}
	return ts
}

// post writes ws and fails the test unless every record succeeded.
func (e *env) post(t *testing.T, coll string, ws ...store.Write) store.Timestamp {
	t.Helper()
	res, err := e.s.Post(e.ctx, e.user, coll, ws, store.Precondition{})
	if err != nil {
		t.Fatalf("Post %s: %v", coll, err)
	}
	if len(res.Failed) > 0 || len(res.Success) != len(ws) {
		t.Fatalf("Post %s: success %v, failed %v; want all %d to succeed", coll, res.Success, res.Failed, len(ws))
	}
	return res.Modified
}

func (e *env) get(t *testing.T, coll, id string) store.BSO {
	t.Helper()
	b, err := e.s.Get(e.ctx, e.user, coll, id)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", coll, id, err)
	}
	return b
}

func (e *env) list(t *testing.T, coll string, q store.Query) store.Page {
	t.Helper()
	p, err := e.s.List(e.ctx, e.user, coll, q)
	if err != nil {
		t.Fatalf("List %s %+v: %v", coll, q, err)
	}
	return p
}

// listIDs returns the ids of one List, in order.
func (e *env) listIDs(t *testing.T, coll string, q store.Query) []string {
	t.Helper()
	return ids(e.list(t, coll, q).Records)
}

// listAll reads every page of q (q.Limit per page) and returns the records
// in order.
func (e *env) listAll(t *testing.T, coll string, q store.Query) []store.BSO {
	t.Helper()
	var all []store.BSO
	for pages := 0; ; pages++ {
		if pages > 10_000 {
			t.Fatalf("List %s: no end after 10,000 pages", coll)
		}
		p := e.list(t, coll, q)
		all = append(all, p.Records...)
		if p.NextOffset == "" {
			return all
		}
		if q.Limit > 0 && len(p.Records) != q.Limit {
			t.Fatalf("List %s: a page with a next offset has %d records, want the limit %d", coll, len(p.Records), q.Limit)
		}
		q.Offset = p.NextOffset
	}
}

func (e *env) info(t *testing.T) map[string]store.Usage {
	t.Helper()
	info, err := e.s.Info(e.ctx, e.user)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	return info
}

// as returns a copy of e acting for another user.
func (e *env) as(user string) *env {
	c := *e
	c.user = user
	return &c
}

// wantErr fails unless err is target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// wantIDs fails unless got equals want, in order.
func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got ids %v, want %v", what, got, want)
	}
}

// wantSameIDs fails unless got and want hold the same ids in any order.
func wantSameIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	wantIDs(t, what, g, w...)
}

func ids(bs []store.BSO) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

// hasPrefix reports whether reason starts with prefix.
func hasPrefix(reason, prefix string) bool { return strings.HasPrefix(reason, prefix) }
