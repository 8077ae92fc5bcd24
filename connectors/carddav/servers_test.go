package carddav_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/carddav"
	"github.com/contactbridge/contactbridge/connectors/carddav/davtest"
	"github.com/contactbridge/contactbridge/mapping"
)

// What each real server offers, found by discovery from its root.
func TestDiscover(t *testing.T) {
	t.Parallel()
	cases := []struct {
		start        func(testing.TB) *davtest.Server
		sync, vcard4 bool
		defaultBook  string // the book a fresh server has, "" for none
	}{
		{davtest.Radicale, true, false, ""},
		{davtest.Xandikos, true, false, "/user/contacts/addressbook/"},
		{davtest.GoWebDAV, false, true, ""},
	}
	for _, tc := range cases {
		srv := tc.start(t)
		t.Run(srv.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := carddav.Config{URL: srv.URL, Username: srv.Username, Password: srv.Password}
			books, err := carddav.Discover(ctx, cfg)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if tc.defaultBook == "" && len(books) != 0 || tc.defaultBook != "" && (len(books) != 1 || books[0].Path != tc.defaultBook) {
				t.Fatalf("Discover on a fresh server: %+v, want %q", books, tc.defaultBook)
			}

			// Without Create a missing book is an error that says so.
			cfg.AddressBook = "Family & Friends"
			if _, err := carddav.New(ctx, cfg); !errors.Is(err, carddav.ErrNoAddressBook) || !strings.Contains(err.Error(), "create: true") {
				t.Fatalf("New for a missing book: %v, want ErrNoAddressBook and a hint", err)
			}
			cfg.Create = true
			c, err := carddav.New(ctx, cfg)
			if err != nil {
				t.Fatalf("New with Create: %v", err)
			}
			made := c.AddressBook()
			if made.Name != "Family & Friends" || !strings.HasSuffix(made.Path, "/family-friends/") || made.SyncCollection != tc.sync || made.VCard4 != tc.vcard4 {
				t.Errorf("created %+v", made)
			}
			if v := c.Capabilities().Version; (v == mapping.Version40) != tc.vcard4 {
				t.Errorf("new cards get version %s, vcard4 %v", v, tc.vcard4)
			}
			// Asked again, it is found, by name or by path, not made twice.
			for _, name := range []string{"Family & Friends", "family & friends", made.Path, srv.URL + strings.TrimPrefix(made.Path, "/")} {
				cfg.AddressBook = name
				again, err := carddav.New(ctx, cfg)
				if err != nil || again.AddressBook().Path != made.Path {
					t.Errorf("New(%q): %v, book %+v", name, err, again)
				}
			}
			books, err = carddav.Discover(ctx, cfg)
			if err != nil || len(books) != 1+boolInt(tc.defaultBook != "") {
				t.Errorf("Discover after one creation: %+v, %v", books, err)
			}

			// A URL naming the address book picks it.
			byURL, err := carddav.New(ctx, carddav.Config{URL: srv.URL + strings.TrimPrefix(made.Path, "/"), Username: srv.Username, Password: srv.Password})
			if err != nil || byURL.AddressBook().Path != made.Path {
				t.Errorf("New with the book's URL: %v, %+v", err, byURL)
			}

			// Two books and no choice: an error listing both.
			srv.NewAddressBook(t)
			cfg.AddressBook, cfg.Create = "", false
			if _, err := carddav.New(ctx, cfg); err == nil || !strings.Contains(err.Error(), made.Path) {
				t.Errorf("New with an ambiguous choice: %v, want the choices listed", err)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A token the server never issued is what an expired one looks like to
// it: Radicale answers 403 valid-sync-token, Xandikos 500.
func TestUnknownToken(t *testing.T) {
	t.Parallel()
	for _, start := range []func(testing.TB) *davtest.Server{davtest.Radicale, davtest.Xandikos} {
		srv := start(t)
		t.Run(srv.Name, func(t *testing.T) {
			t.Parallel()
			c := connect(t, srv, srv.NewAddressBook(t))
			token, err := c.Changes(context.Background(), "", func(connectors.Page) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			made := strings.TrimSuffix(token, token[len(token)-8:]) + "0badc0de"
			if srv.Name == "xandikos" {
				made = "sync:" + strings.Repeat("0", 40)
			}
			_, err = c.Changes(context.Background(), made, func(connectors.Page) error {
				t.Error("a page passed for a refused token")
				return nil
			})
			if !errors.Is(err, connectors.ErrTokenExpired) {
				t.Errorf("Changes(%q): %v, want ErrTokenExpired", made, err)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	for _, start := range []func(testing.TB) *davtest.Server{davtest.Radicale, davtest.GoWebDAV} {
		srv := start(t)
		_, err := carddav.New(context.Background(), carddav.Config{URL: srv.URL, Username: srv.Username, Password: "not-the-password"})
		if err == nil || !strings.Contains(err.Error(), "authentication failed (401): check username and password_file") || strings.Contains(err.Error(), "not-the-password") {
			t.Errorf("%s: New with a wrong password: %v", srv.Name, err)
		}
	}
}

// Radicale (vobject) cuts values at their first unescaped comma; the
// connector writes around it, so nothing is lost.
func TestRadicaleKeepsCommas(t *testing.T) {
	t.Parallel()
	srv := davtest.Radicale(t)
	c := connect(t, srv, srv.NewAddressBook(t))
	card, err := mapping.Parse([]byte("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Comma Test\r\nUID:comma-test\r\n" +
		"NICKNAME:Nick1,Nick2\r\nGEO;TYPE=work:geo:46.772673,-71.282945\r\nURL:https://example.org/a,b\r\n" +
		"PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRg==\r\nLOGO:data:application/octet-stream;base64,AAAA\r\n" +
		"X-EVOLUTION-FILE-AS:Test\\, Comma\r\nEND:VCARD\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, v := range []mapping.Version{mapping.Version30, mapping.Version40} {
		card := card.Clone()
		card.Remove("UID")
		card.Add(mapping.Property{Name: "UID", Value: "comma-test-" + string(v)})
		it, err := c.Create(ctx, "comma"+string(v[0])+"0000000", card)
		if err != nil {
			t.Fatal(err)
		}
		if v == mapping.Version40 {
			// An update keeps a 4.0 card 4.0; Radicale cuts 4.0 values alike.
			got := fetchAll(t, c, []connectors.Item{it})[it.ID]
			c4 := card.Clone()
			c4.Version = mapping.Version40
			if it, err = c.Update(ctx, it.ID, got.ETag, c4); err != nil {
				t.Fatal(err)
			}
		}
		got := fetchAll(t, c, []connectors.Item{it})[it.ID]
		if got.Card == nil || !mapping.Equal(got.Card, card) {
			a, _ := card.Marshal(mapping.Version40)
			var b []byte
			if got.Card != nil {
				b, _ = got.Card.Marshal(mapping.Version40)
			}
			t.Errorf("version %s: Radicale kept\n%s\nof\n%s(err %v)", v, b, a, got.Err)
		}
	}
}
