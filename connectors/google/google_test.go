package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
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

func TestFullSize(t *testing.T) {
	for in, want := range map[string]string{
		"https://lh3.googleusercontent.com/cm/ABC=s100":    "https://lh3.googleusercontent.com/cm/ABC=s0",
		"https://lh3.googleusercontent.com/contacts/X=s96": "https://lh3.googleusercontent.com/contacts/X=s0",
		"https://lh3.googleusercontent.com/contacts/X":     "https://lh3.googleusercontent.com/contacts/X",
		"https://lh3.googleusercontent.com/a=s100-c":       "https://lh3.googleusercontent.com/a=s100-c",
		"https://example.org/p?sz=50":                      "https://example.org/p?sz=50",
		"https://example.org/x=s":                          "https://example.org/x=s",
	} {
		if got := fullSize(in); got != want {
			t.Errorf("fullSize(%q) = %q, want %q", in, got, want)
		}
	}
}

// failPhotos fails every photo download while fail is set.
type failPhotos struct {
	base http.RoundTripper
	fail atomic.Bool
}

func (f *failPhotos) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.fail.Load() && !strings.Contains(r.URL.Path, "/v1/") && !strings.HasSuffix(r.URL.Path, "/token") {
		return nil, errors.New("connection reset by peer")
	}
	return f.base.RoundTrip(r)
}

// A photo that cannot be read leaves its contact for the next run, as a
// transient item error: synced without it, the contact would look as if
// the user had removed the photo.
func TestPhotoReadFailureLeavesItem(t *testing.T) {
	ctx := context.Background()
	srv := googletest.New(googletest.Options{})
	t.Cleanup(srv.Close)
	user := srv.AddUser("refresh")
	rn := user.Put(googletest.Person{Names: []googletest.Name{{GivenName: "Pic"}}})
	if !user.SetPhoto(rn, []byte("\x89PNG\r\n\x1a\n....")) {
		t.Fatal("no photo set")
	}
	rt := &failPhotos{base: srv.Client().Transport}
	c, err := New(ctx, Config{ClientID: "client", RefreshToken: "refresh", Endpoint: srv.URL(), TokenURL: srv.TokenURL(),
		HTTPClient: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	rt.fail.Store(true)
	_, changes := drain(t, c, "")
	if len(changes) != 1 || changes[0].Err == nil || !connectors.IsTransient(changes[0].Err) {
		t.Fatalf("listing with the photo unreadable: %+v, want one transient item error", changes)
	}
	rt.fail.Store(false)
	_, changes = drain(t, c, "")
	if len(changes) != 1 || changes[0].Err != nil || changes[0].Card.Get("PHOTO") == nil {
		t.Fatalf("listing with the photo readable: %+v", changes)
	}
}

// What a write returns is the card Google made of it: a later listing of
// the unchanged contact gives the same card, so the bridge does not take
// what Google dropped (PREF on the first value, TYPE=voice) for an edit.
func TestWrittenItemIsWhatGoogleKeeps(t *testing.T) {
	ctx := context.Background()
	c, _, _ := fakeAccount(t, googletest.Options{})
	card, err := mapping.Parse([]byte("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Lossy Person\r\nN:Person;Lossy;;;\r\n" +
		"TEL;TYPE=voice,cell;PREF=1:+1 555 0100\r\nEMAIL;PREF=1;TYPE=work:lossy@example.org\r\nEND:VCARD\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []connectors.WriteOp{connectors.OpCreate, connectors.OpUpdate} {
		w := connectors.Write{Op: op, Key: "k1", Card: card}
		if op == connectors.OpUpdate {
			_, ch := drain(t, c, "")
			w.ID, w.ETag = ch[0].ID, ch[0].ETag
			card.Get("EMAIL").Value = "lossy2@example.org"
		}
		res := c.WriteBatch(ctx, []connectors.Write{w})[0]
		if res.Err != nil || res.Item.Card == nil {
			t.Fatalf("op %d: %+v", op, res)
		}
		_, ch := drain(t, c, "")
		if len(ch) != 1 || ch[0].Card.Hash() != res.Item.Card.Hash() {
			a, _ := res.Item.Card.Marshal(mapping.Version40)
			b, _ := ch[0].Card.Marshal(mapping.Version40)
			t.Errorf("op %d: written item and listing differ:\n%s\n%s", op, a, b)
		}
		if res.Item.Card.Hash() == card.Hash() {
			t.Errorf("op %d: Google kept every parameter? the test needs a lossy card", op)
		}
	}
}
