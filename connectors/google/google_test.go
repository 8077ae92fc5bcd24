package google

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/google/googletest"
	"github.com/contactbridge/contactbridge/mapping"
)

func simpleCard(fn string) *mapping.Card {
	c := &mapping.Card{}
	c.Add(mapping.Property{Name: "FN", Value: fn})
	c.Add(mapping.Property{Name: "EMAIL", Value: fmt.Sprintf("%d@example.org", len(fn))})
	return c
}

// drain lists from token and returns the next token and the changes.
func drain(t *testing.T, c *Connector, token string) (string, []connectors.Change) {
	t.Helper()
	var out []connectors.Change
	next, err := c.Changes(context.Background(), token, func(p connectors.Page) error {
		out = append(out, p.Changes...)
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%q): %v", token, err)
	}
	return next, out
}

// The protocol minimum: ceil(N/1000) list pages and one token request for
// a full listing, ceil(N/200) batch writes, and a later run that resumes
// the session costs one request when nothing changed.
func TestRequestCounts(t *testing.T) {
	ctx := context.Background()
	c, srv, _ := fakeAccount(t, googletest.Options{})
	c.pageSize = 1000
	var ws []connectors.Write
	for i := range 450 {
		ws = append(ws, connectors.Write{Op: connectors.OpCreate, Key: fmt.Sprintf("k%03d", i), Card: simpleCard(fmt.Sprintf("Person %03d", i))})
	}
	for i, r := range c.WriteBatch(ctx, ws) {
		if r.Err != nil {
			t.Fatalf("write %d: %v", i, r.Err)
		}
	}
	if got := srv.Requests()["batchCreateContacts"]; got != 3 {
		t.Errorf("450 creates took %d batchCreateContacts, want 3", got)
	}
	token, changes := drain(t, c, "")
	if len(changes) != 450 || srv.Requests()["connections.list"] != 1 {
		t.Fatalf("full listing: %d changes in %d requests", len(changes), srv.Requests()["connections.list"])
	}
	// The next run: a new connector, resumed.
	next, err := New(ctx, Config{ClientID: "client", RefreshToken: "refresh-" + t.Name(), Endpoint: srv.URL(), TokenURL: srv.TokenURL(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := next.Resume(ctx, c.Session()); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	if _, changes := drain(t, next, token); len(changes) != 0 {
		t.Errorf("no-change listing passed %d changes", len(changes))
	}
	after := srv.Requests()
	total := 0
	for k, v := range after {
		total += v - before[k]
	}
	if total != 1 {
		t.Errorf("a no-change sync cost %d requests (%v → %v), want 1", total, before, after)
	}
}

// An access token that dies in the middle of a sync is replaced, and the
// listing goes on; a sync token Google no longer accepts is
// ErrTokenExpired.
func TestTokenExpiries(t *testing.T) {
	ctx := context.Background()
	c, srv, user := fakeAccount(t, googletest.Options{})
	for i := range 250 {
		user.Put(googletest.Person{Names: []googletest.Name{{GivenName: fmt.Sprint("P", i)}}})
	}
	pages := 0
	token, err := c.Changes(ctx, "", func(p connectors.Page) error {
		pages++
		if pages == 1 {
			srv.ExpireAccessTokens()
		}
		return nil
	})
	if err != nil || pages != 3 {
		t.Fatalf("listing across an access-token expiry: %d pages, %v", pages, err)
	}
	srv.ExpireSyncTokens()
	if _, err := c.Changes(ctx, token, func(connectors.Page) error { return nil }); !errors.Is(err, connectors.ErrTokenExpired) {
		t.Errorf("expired sync token: %v, want ErrTokenExpired", err)
	}
}

// Deletions come as deletions, a re-keyed contact with its previous name,
// and 429s are waited out.
func TestIncrementalChanges(t *testing.T) {
	c, srv, user := fakeAccount(t, googletest.Options{})
	c.c.retry.BaseDelay, c.c.retry.MaxDelay = time.Millisecond, time.Millisecond
	a := user.Put(googletest.Person{Names: []googletest.Name{{GivenName: "A"}}})
	b := user.Put(googletest.Person{Names: []googletest.Name{{GivenName: "B"}}})
	token, _ := drain(t, c, "")
	user.Delete(a)
	renamed := user.Rename(b)
	srv.Fail(2, 429, 0)
	_, changes := drain(t, c, token)
	var deleted, moved bool
	for _, ch := range changes {
		deleted = deleted || ch.ID == a && ch.Deleted
		moved = moved || ch.ID == renamed && len(ch.PreviousIDs) == 1 && ch.PreviousIDs[0] == b
	}
	if !deleted || !moved {
		t.Errorf("incremental changes %+v: deletion %v, rename %v", changes, deleted, moved)
	}
}
