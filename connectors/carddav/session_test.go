package carddav_test

import (
	"context"
	"errors"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/carddav"
	"github.com/contactbridge/contactbridge/connectors/carddav/davtest"
	"github.com/contactbridge/contactbridge/mapping"
)

// requests is how many requests c sent so far.
func requests(c *carddav.Connector) int64 {
	var n int64
	for _, v := range c.Stats().Requests {
		n += v
	}
	return n
}

// drain runs Changes from token and returns the next token and the ids of
// the items it passed.
func drain(ctx context.Context, t *testing.T, c *carddav.Connector, token string) (string, []string, error) {
	t.Helper()
	var ids []string
	next, err := c.Changes(ctx, token, func(p connectors.Page) error {
		for _, ch := range p.Changes {
			ids = append(ids, ch.ID)
		}
		return nil
	})
	return next, ids, err
}

// A session lets the next run skip discovery: a sync that finds nothing
// new is one request. A session made for another configuration, or one
// that cannot be read, is ignored; an address book that vanished behind a
// session is discovered again (and made again with Create).
func TestSessionSkipsDiscovery(t *testing.T) {
	t.Parallel()
	for _, start := range []func(testing.TB) *davtest.Server{davtest.Radicale, davtest.Xandikos, davtest.GoWebDAV} {
		srv := start(t)
		t.Run(srv.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			book := srv.NewAddressBook(t)
			other := srv.NewAddressBook(t)
			cfg := carddav.Config{URL: srv.URL, Username: srv.Username, Password: srv.Password,
				AddressBook: path.Base(book), Create: true}

			first, err := carddav.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if n := requests(first); n != 0 {
				t.Fatalf("Open sent %d requests, want none", n)
			}
			if err := first.Resume(ctx, ""); err != nil {
				t.Fatalf("Resume without a session: %v", err)
			}
			if first.AddressBook().Path != book || requests(first) == 0 {
				t.Fatalf("Resume without a session found %q with %d requests, want discovery of %q", first.AddressBook().Path, requests(first), book)
			}
			card := &mapping.Card{}
			card.Add(mapping.Property{Name: "FN", Value: "Ada Lovelace"})
			if _, err := first.Create(ctx, "session-card", card); err != nil {
				t.Fatalf("Create: %v", err)
			}
			token, ids, err := drain(ctx, t, first, "")
			if err != nil || len(ids) != 1 {
				t.Fatalf("first Changes: %v, %d items", err, len(ids))
			}
			session := first.Session()
			if session == "" || srv.Password != "" && strings.Contains(session, srv.Password) {
				t.Fatalf("Session() = %q: want the address book and no password", session)
			}

			// The next run: no discovery, one request for no changes.
			next, err := carddav.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := next.Resume(ctx, session); err != nil {
				t.Fatalf("Resume with the session: %v", err)
			}
			if n := requests(next); n != 0 {
				t.Fatalf("Resume with a session sent %d requests, want none", n)
			}
			if next.AddressBook() != first.AddressBook() || next.Capabilities().Version != first.Capabilities().Version {
				t.Fatalf("resumed %+v %+v, want %+v %+v", next.AddressBook(), next.Capabilities().Version, first.AddressBook(), first.Capabilities().Version)
			}
			// (A server with neither sync-collection nor a CTag is
			// listed whole every time: go-webdav's.)
			if _, ids, err := drain(ctx, t, next, token); err != nil || len(ids) != 0 && token != "list:" {
				t.Fatalf("Changes after resuming: %v, %v", err, ids)
			}
			if n := requests(next); n != 1 {
				t.Errorf("a sync without changes sent %d requests (%v), want 1", n, next.Stats().Requests)
			}

			// Another address book configured, or a session that
			// cannot be read: discovery runs.
			for name, tc := range map[string]struct {
				cfg     carddav.Config
				session string
				want    string
			}{
				"other book": {carddav.Config{URL: cfg.URL, Username: cfg.Username, Password: cfg.Password, AddressBook: path.Base(other)}, session, other},
				"garbage":    {cfg, `{"v":1,"book":`, book},
				"old layout": {cfg, strings.Replace(session, `"v":1`, `"v":0`, 1), book},
			} {
				c, err := carddav.Open(tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Resume(ctx, tc.session); err != nil {
					t.Fatalf("%s: Resume: %v", name, err)
				}
				if c.AddressBook().Path != tc.want || requests(c) == 0 {
					t.Errorf("%s: resumed %q with %d requests, want discovery of %q", name, c.AddressBook().Path, requests(c), tc.want)
				}
			}

			// The address book is deleted behind the session. Without
			// Create the error says it is missing…
			noCreate := cfg
			noCreate.Create = false
			c, err := carddav.New(ctx, noCreate)
			if err != nil {
				t.Fatal(err)
			}
			noCreateSession := c.Session()
			if res, err := srv.Do(ctx, http.MethodDelete, book, nil, nil); err != nil || res.Status/100 != 2 {
				t.Fatalf("DELETE %s: %v %v", book, res, err)
			}
			if c, err = carddav.Open(noCreate); err != nil {
				t.Fatal(err)
			}
			if err := c.Resume(ctx, noCreateSession); err != nil {
				t.Fatalf("Resume: %v", err)
			}
			if _, _, err := drain(ctx, t, c, token); !errors.Is(err, carddav.ErrNoAddressBook) {
				t.Errorf("Changes on a deleted address book: %v, want ErrNoAddressBook", err)
			}
			// …and with Create it is made again, its changes read afresh.
			c, err = carddav.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Resume(ctx, session); err != nil {
				t.Fatalf("Resume: %v", err)
			}
			_, ids, err = drain(ctx, t, c, token)
			if err != nil && !errors.Is(err, connectors.ErrTokenExpired) || len(ids) != 0 {
				t.Fatalf("Changes on a deleted address book with Create: %v, %v; want no items, or the token refused", err, ids)
			}
			if _, ids, err := drain(ctx, t, c, ""); err != nil || len(ids) != 0 {
				t.Fatalf("Changes on the address book made again: %v, %v", err, ids)
			}
			if res, err := srv.Do(ctx, "PROPFIND", book, map[string]string{"Depth": "0"}, nil); err != nil || res.Status != http.StatusMultiStatus {
				t.Errorf("PROPFIND %s after it was made again: %v %v", book, res, err)
			}
			if c.Session() == "" {
				t.Error("no session after discovering again")
			}
		})
	}
}
