package carddav

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

const aliceCard = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alice Example\r\nEMAIL:alice@example.org\r\nUID:alice\r\nEND:VCARD\r\n"

// card returns a small test card with a note.
func testCard(note string) *mapping.Card {
	c := &mapping.Card{}
	c.Add(mapping.Property{Name: "FN", Value: "Test Person"})
	c.Add(mapping.Property{Name: "UID", Value: "urn:uuid:test-person"})
	if note != "" {
		c.Add(mapping.Property{Name: "NOTE", Value: mapping.EscapeText(note)})
	}
	return c
}

// listAll runs Changes and returns the changes by id, whether the pages
// were Full, the number of pages and the next token.
func listAll(t *testing.T, c *Connector, token string) (map[string]connectors.Change, bool, int, string) {
	t.Helper()
	out := map[string]connectors.Change{}
	full, pages := false, 0
	next, err := c.Changes(context.Background(), token, func(p connectors.Page) error {
		pages++
		full = p.Full
		for _, ch := range p.Changes {
			out[ch.ID] = ch
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%q): %v", token, err)
	}
	return out, full, pages, next
}

// fetchOne reads id.
func fetchOne(t *testing.T, c *Connector, id string) connectors.Item {
	t.Helper()
	var got connectors.Item
	if err := c.Fetch(context.Background(), []string{id}, func(it connectors.Item) error {
		got = it
		return nil
	}); err != nil {
		t.Fatalf("Fetch %s: %v", id, err)
	}
	return got
}

func TestETagForms(t *testing.T) {
	cases := []struct {
		name      string
		style     string
		noPutETag bool
		want      string // the etag form Items carry
	}{
		{"strong", "", false, `"e%d"`},
		{"weak etags", "weak", false, `W/"e%d"`},
		{"unquoted getetag", "unquoted", false, `"e%d"`},
		{"no etag on PUT", "", true, `"e%d"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDAV(t)
			f.etagStyle, f.noPutETag = tc.style, tc.noPutETag
			c := f.connector(t, nil)
			ctx := context.Background()
			it, err := c.Create(ctx, "abcdefghijkl", testCard(""))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if want := fmt.Sprintf(tc.want, 1); it.ETag != want {
				t.Errorf("Create etag %s, want %s", it.ETag, want)
			}
			if tc.noPutETag || tc.style == "weak" {
				if n := f.count("PROPFIND", fakeBook+"abcdefghijkl.vcf"); n != 1 {
					t.Errorf("Create asked for the etag %d times, want once", n)
				}
			}
			listed, _, _, _ := listAll(t, c, "")
			if got := listed[it.ID].ETag; got != it.ETag {
				t.Errorf("listing etag %s, Create said %s", got, it.ETag)
			}
			if got := fetchOne(t, c, it.ID); got.ETag != it.ETag || got.Err != nil {
				t.Errorf("Fetch etag %s (err %v), Create said %s", got.ETag, got.Err, it.ETag)
			}
			up, err := c.Update(ctx, it.ID, it.ETag, testCard("two"))
			if err != nil {
				t.Fatalf("Update with the etag given: %v", err)
			}
			if want := fmt.Sprintf(tc.want, 2); up.ETag != want {
				t.Errorf("Update etag %s, want %s", up.ETag, want)
			}
			if _, err := c.Update(ctx, it.ID, it.ETag, testCard("three")); !errors.Is(err, connectors.ErrPreconditionFailed) {
				t.Errorf("Update with the old etag: %v, want ErrPreconditionFailed", err)
			}
			// A caller may hand the etag back unquoted.
			if err := c.Delete(ctx, it.ID, strings.Trim(strings.TrimPrefix(up.ETag, "W/"), `"`)); err != nil {
				t.Errorf("Delete with an unquoted etag: %v", err)
			}
		})
	}
}

func TestMultigetWithMissing(t *testing.T) {
	for _, wholesale := range []bool{false, true} {
		t.Run(fmt.Sprintf("fails as a whole %v", wholesale), func(t *testing.T) {
			f := newFakeDAV(t)
			c := f.connector(t, nil)
			a := f.put("a.vcf", aliceCard)
			b := f.put("b.vcf", strings.Replace(aliceCard, "alice", "bob", -1))
			gone := fakeBook + "gone.vcf"
			if wholesale {
				// As Radicale and Xandikos answer a multiget naming a
				// deleted href.
				f.hook = func(w http.ResponseWriter, r *http.Request, body string) bool {
					if r.Method == "REPORT" {
						http.NotFound(w, r)
						return true
					}
					return false
				}
			}
			got := map[string]connectors.Item{}
			if err := c.Fetch(context.Background(), []string{a, gone, b}, func(it connectors.Item) error {
				got[it.ID] = it
				return nil
			}); err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if !errors.Is(got[gone].Err, connectors.ErrNotFound) {
				t.Errorf("missing card: Err %v, want ErrNotFound", got[gone].Err)
			}
			for _, id := range []string{a, b} {
				if got[id].Card == nil || got[id].Err != nil || got[id].ETag == "" {
					t.Errorf("%s beside a missing card: card %v, err %v, etag %q", id, got[id].Card != nil, got[id].Err, got[id].ETag)
				}
			}
			if wholesale && f.count("GET", fakeBook) != 3 {
				t.Errorf("after a failed multiget: %d GETs, want 3", f.count("GET", fakeBook))
			}
			if !wholesale && f.count("GET", fakeBook) != 0 {
				t.Errorf("a multiget that worked was followed by %d GETs", f.count("GET", fakeBook))
			}
		})
	}
}

func TestFetchBatches(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	var ids []string
	for i := range 250 {
		ids = append(ids, f.put(fmt.Sprintf("c%03d.vcf", i), strings.Replace(aliceCard, "UID:alice", fmt.Sprintf("UID:c%d", i), 1)))
	}
	n := 0
	if err := c.Fetch(context.Background(), ids, func(it connectors.Item) error {
		if it.Err != nil || it.Card == nil {
			t.Errorf("%s: %v", it.ID, it.Err)
		}
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 250 {
		t.Errorf("Fetch passed %d items, want 250", n)
	}
	if got := f.count("REPORT", fakeBook); got != 3 {
		t.Errorf("250 cards took %d multigets, want 3 (batches of %d)", got, BatchSize)
	}
}

func TestUnreadableCards(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	secret := "Very Secret Person"
	ids := map[string]error{
		f.put("broken.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:"+secret+"\r\n"):                    mapping.ErrMalformed,
		f.put("two.vcf", aliceCard+strings.Replace(aliceCard, "alice", "other", -1)):              ErrSeveralCards,
		f.put("junk.vcf", "<html>"+secret+"</html>"):                                              mapping.ErrMalformed,
		f.put("huge.vcf", "BEGIN:VCARD\r\nNOTE:"+strings.Repeat("x", 11<<20)+"\r\nEND:VCARD\r\n"): mapping.ErrCardTooLarge,
	}
	var list []string
	for id := range ids {
		list = append(list, id)
	}
	if err := c.Fetch(context.Background(), list, func(it connectors.Item) error {
		want := ids[it.ID]
		if !errors.Is(it.Err, want) {
			t.Errorf("%s: Err %v, want %v", it.ID, it.Err, want)
		}
		if it.Err != nil && (!strings.Contains(it.Err.Error(), it.ID) || strings.Contains(it.Err.Error(), "Secret")) {
			t.Errorf("%s: error %q should name the href and quote nothing of the card", it.ID, it.Err)
		}
		if it.Card != nil {
			t.Errorf("%s: a card passed with Err %v", it.ID, it.Err)
		}
		return nil
	}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
}

func TestSyncTruncated(t *testing.T) {
	f := newFakeDAV(t)
	f.sync, f.syncLimit = true, 7
	c := f.connector(t, nil)
	for i := range 30 {
		f.put(fmt.Sprintf("c%02d.vcf", i), aliceCard)
	}
	all, full, _, token := listAll(t, c, "")
	if !full || len(all) != 30 {
		t.Fatalf("initial sync: %d items (full %v), want 30 in full", len(all), full)
	}
	if rounds := f.count("REPORT", fakeBook); rounds != 5 {
		t.Errorf("30 changes, 7 per answer: %d REPORTs, want 5", rounds)
	}
	// Changes since, deletions included, also across truncated answers.
	f.mu.Lock()
	for i := range 10 {
		href := fmt.Sprintf("%sc%02d.vcf", fakeBook, i)
		delete(f.cards, href)
		f.history = append(f.history, href)
	}
	f.mu.Unlock()
	f.put("new.vcf", aliceCard)
	changed, full, _, _ := listAll(t, c, token)
	if full || len(changed) != 11 {
		t.Fatalf("changes: %d (full %v), want 11 incremental", len(changed), full)
	}
	deleted := 0
	for _, ch := range changed {
		if ch.Deleted {
			deleted++
		}
	}
	if deleted != 10 {
		t.Errorf("%d deletions reported, want 10", deleted)
	}
}

func TestSyncTruncatedWithoutProgress(t *testing.T) {
	f := newFakeDAV(t)
	f.sync = true
	c := f.connector(t, nil)
	f.hook = func(w http.ResponseWriter, r *http.Request, body string) bool {
		if r.Method != "REPORT" {
			return false
		}
		writeMS(w, statusResponse(fakeBook, http.StatusInsufficientStorage), "<D:sync-token>t0</D:sync-token>")
		return true
	}
	if _, err := c.Changes(context.Background(), "sync:t0", func(connectors.Page) error { return nil }); err == nil || !strings.Contains(err.Error(), "without moving the token") {
		t.Errorf("a server truncating without progress: %v, want an error saying so", err)
	}
}

func TestPagesBounded(t *testing.T) {
	f := newFakeDAV(t)
	f.sync = true
	c := f.connector(t, nil)
	c.pageSize = 10
	for i := range 35 {
		f.put(fmt.Sprintf("c%02d.vcf", i), aliceCard)
	}
	pages := 0
	if _, err := c.Changes(context.Background(), "", func(p connectors.Page) error {
		pages++
		if len(p.Changes) > 10 {
			t.Errorf("page of %d changes, want at most 10", len(p.Changes))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if pages != 4 {
		t.Errorf("35 changes came in %d pages, want 4", pages)
	}
}

func TestBadToken(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		expired bool
	}{
		{"403 valid-sync-token (Radicale)", http.StatusForbidden, true},
		{"409", http.StatusConflict, true},
		{"410", http.StatusGone, true},
		{"500 (Xandikos)", http.StatusInternalServerError, true},
		{"400 valid-sync-token", http.StatusBadRequest, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDAV(t)
			f.sync, f.tokenStatus = true, tc.status
			c := f.connector(t, nil)
			calls := 0
			_, err := c.Changes(context.Background(), "sync:t3", func(connectors.Page) error { calls++; return nil })
			if errors.Is(err, connectors.ErrTokenExpired) != tc.expired {
				t.Errorf("Changes with a refused token (%d): %v, want expired %v", tc.status, err, tc.expired)
			}
			if calls != 0 {
				t.Errorf("%d pages passed", calls)
			}
			if tc.status == http.StatusInternalServerError && f.count("REPORT", fakeBook) != 1 {
				t.Errorf("a 500 to a token was retried %d times; it is read at once", f.count("REPORT", fakeBook)-1)
			}
			if _, full, _, _ := listAll(t, c, ""); !full {
				t.Error("the listing after expiry is not Full")
			}
		})
	}
	t.Run("403 without valid-sync-token", func(t *testing.T) {
		f := newFakeDAV(t)
		f.sync = true
		c := f.connector(t, nil)
		f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
			if r.Method == "REPORT" {
				http.Error(w, "no", http.StatusForbidden)
				return true
			}
			return false
		}
		_, err := c.Changes(context.Background(), "sync:t1", func(connectors.Page) error { return nil })
		if errors.Is(err, connectors.ErrTokenExpired) || err == nil || !strings.Contains(err.Error(), "forbidden (403)") {
			t.Errorf("a 403 that is not about the token: %v, want a forbidden error", err)
		}
	})
	t.Run("500 from a failing server", func(t *testing.T) {
		f := newFakeDAV(t)
		f.sync = true
		c := f.connector(t, nil)
		f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
			http.Error(w, "down", http.StatusInternalServerError)
			return true
		}
		_, err := c.Changes(context.Background(), "sync:t1", func(connectors.Page) error { return nil })
		if errors.Is(err, connectors.ErrTokenExpired) || !connectors.IsTransient(err) {
			t.Errorf("a 500 while the server fails everything: %v, want a transient error, not expiry", err)
		}
	})
	t.Run("token of another kind", func(t *testing.T) {
		f := newFakeDAV(t)
		f.sync = true
		c := f.connector(t, nil)
		if _, err := c.Changes(context.Background(), "ctag:c1", func(connectors.Page) error { return nil }); !errors.Is(err, connectors.ErrTokenExpired) {
			t.Errorf("a ctag token to a sync server: %v, want ErrTokenExpired", err)
		}
	})
}

func TestCTagShortcut(t *testing.T) {
	f := newFakeDAV(t)
	f.ctag = true
	c := f.connector(t, nil)
	f.put("a.vcf", aliceCard)
	first, full, pages, token := listAll(t, c, "")
	if !full || len(first) != 1 || pages != 1 || !strings.HasPrefix(token, "ctag:") {
		t.Fatalf("first listing: %d items, full %v, %d pages, token %q", len(first), full, pages, token)
	}
	before := f.count("PROPFIND", "")
	changed, _, pages, next := listAll(t, c, token)
	if n := f.count("PROPFIND", "") - before; n != 1 {
		t.Errorf("nothing changed: %d PROPFINDs, want exactly one", n)
	}
	if len(changed) != 0 || pages != 0 || next != token {
		t.Errorf("nothing changed: %d changes in %d pages, token %q (was %q)", len(changed), pages, next, token)
	}
	f.put("b.vcf", aliceCard)
	changed, full, _, next = listAll(t, c, token)
	if !full || len(changed) != 2 || next == token {
		t.Errorf("after a change: %d items, full %v, token %q", len(changed), full, next)
	}
}

func TestEtagListingWithoutCTag(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	f.put("a.vcf", aliceCard)
	_, full, _, token := listAll(t, c, "")
	if !full || token != listToken {
		t.Fatalf("listing: full %v, token %q", full, token)
	}
	if _, full, _, _ := listAll(t, c, token); !full {
		t.Error("a server without a change log must answer every token with a full listing")
	}
}

func TestWellKnownRedirect(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(statusName(status), func(t *testing.T) {
			f := newFakeDAV(t)
			f.wellKnown = status
			f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
				if r.URL.Path == "/" {
					http.NotFound(w, r) // only the well-known URL leads on
					return true
				}
				return false
			}
			c := f.connector(t, nil)
			if c.AddressBook().Path != fakeBook {
				t.Errorf("found %q, want %s", c.AddressBook().Path, fakeBook)
			}
			if n := f.count("GET", ""); n != 0 {
				t.Errorf("discovery sent %d GETs: a redirected PROPFIND became a GET", n)
			}
			if f.count("PROPFIND", "/p/") == 0 {
				t.Error("the well-known redirect to /p/ was not followed")
			}
		})
	}
}

func statusName(status int) string { return fmt.Sprintf("%d", status) }

func TestRedirectKeepsMethodAndBody(t *testing.T) {
	f := newFakeDAV(t)
	f.sync = true
	c := f.connector(t, nil)
	f.put("a.vcf", aliceCard)
	moved := "/moved" + fakeBook
	f.hook = func(w http.ResponseWriter, r *http.Request, body string) bool {
		if strings.HasPrefix(r.URL.Path, fakeBook) && r.Method == "REPORT" {
			w.Header().Set("Location", moved)
			w.WriteHeader(http.StatusMovedPermanently)
			return true
		}
		if p, ok := strings.CutPrefix(r.URL.Path, "/moved"); ok {
			if r.Method != "REPORT" || !strings.Contains(body, "sync-collection") {
				t.Errorf("redirected request arrived as %s with body %q", r.Method, body)
			}
			r.URL.Path = p
			return false
		}
		return false
	}
	if got, _, _, _ := listAll(t, c, ""); len(got) != 1 {
		t.Errorf("sync through a redirect: %d items, want 1", len(got))
	}
}

func TestAuthenticationFailed(t *testing.T) {
	f := newFakeDAV(t)
	f.user, f.pass = "alice", "right"
	_, err := New(context.Background(), Config{URL: f.srv.URL, Username: "alice", Password: "wrong-secret-word"})
	if err == nil {
		t.Fatal("New with a wrong password succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "authentication failed (401): check username and password_file") || !strings.Contains(msg, "alice@") {
		t.Errorf("error %q should name the account and say what to check", msg)
	}
	if strings.Contains(msg, "wrong-secret-word") {
		t.Error("the error quotes the password")
	}
	if connectors.IsTransient(err) {
		t.Error("an authentication failure is marked transient")
	}
	// And once the password is right, a later 401 says the same.
	c, err := New(context.Background(), Config{URL: f.srv.URL, Username: "alice", Password: "right"})
	if err != nil {
		t.Fatal(err)
	}
	f.pass = "changed"
	if _, err := c.Changes(context.Background(), "", func(connectors.Page) error { return nil }); err == nil || !strings.Contains(err.Error(), "authentication failed (401)") {
		t.Errorf("Changes after the password changed: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	f := newFakeDAV(t)
	var waits []time.Duration
	c := f.connector(t, &waits)
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	c.c.now = func() time.Time { return now }
	href := f.put("a.vcf", aliceCard)
	tries := 0
	f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
		if r.Method != http.MethodGet {
			return false
		}
		tries++
		switch tries {
		case 1:
			w.Header().Set("Retry-After", now.Add(30*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		case 2:
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	it, err := c.get(context.Background(), href)
	if err != nil || it.Card == nil {
		t.Fatalf("GET after 429 and 503: %v, %v", err, it.Err)
	}
	if len(waits) != 2 || waits[0] != 30*time.Second || waits[1] != 7*time.Second {
		t.Errorf("waited %v, want [30s 7s] as Retry-After said", waits)
	}
	if st := c.Stats(); st.Retries != 2 || st.Requests["GET"] != 3 {
		t.Errorf("Stats %+v, want 2 retries of 3 GETs", st)
	}

	// A wait longer than a run should hold gives a transient error at once.
	tries = 0
	f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	waits = nil
	_, err = c.get(context.Background(), href)
	if !connectors.IsTransient(err) || len(waits) != 0 || !strings.Contains(err.Error(), "retry after") {
		t.Errorf("Retry-After of a day: %v after waits %v, want a transient error at once", err, waits)
	}
}

func TestRetriesBounded(t *testing.T) {
	f := newFakeDAV(t)
	var waits []time.Duration
	c := f.connector(t, &waits)
	f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
		http.Error(w, "down", http.StatusBadGateway)
		return true
	}
	_, err := c.Create(context.Background(), "abcdefghijkl", testCard(""))
	if !connectors.IsTransient(err) {
		t.Errorf("Create against a failing server: %v, want transient", err)
	}
	if n := f.count("PUT", ""); n != 4 {
		t.Errorf("%d attempts, want 4 (Retry.Attempts)", n)
	}
}

func TestCancelledDuringBackoff(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c.c.sleep = func(ctx context.Context, _ time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	if _, err := c.Changes(ctx, "", func(connectors.Page) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while waiting to retry: %v", err)
	}
}

func TestMalformedAnswers(t *testing.T) {
	bodies := map[string]string{
		"garbage":        "this is not XML at all \x00\xff",
		"truncated XML":  msHead + "<D:response><D:href>/h/book/a.vcf",
		"wrong root":     `<?xml version="1.0"?><html><body>Login</body></html>`,
		"other charset":  `<?xml version="1.0" encoding="EBCDIC"?><D:multistatus xmlns:D="DAV:"/>`,
		"deeply nested":  strings.Repeat("<a>", 20000),
		"no sync-token":  msHead + "</D:multistatus>",
		"bad status":     msHead + `<D:response><D:href>/h/book/a.vcf</D:href><D:status>nonsense</D:status></D:response></D:multistatus>`,
		"relative hrefs": msHead + `<D:response><D:href>a.vcf</D:href></D:response></D:multistatus>`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			f := newFakeDAV(t)
			f.sync = true
			c := f.connector(t, nil)
			f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
				if r.Method != "REPORT" && r.Method != "PROPFIND" {
					return false
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusMultiStatus)
				io.WriteString(w, body)
				return true
			}
			_, err := c.Changes(context.Background(), "", func(connectors.Page) error { return nil })
			if name == "bad status" || name == "relative hrefs" {
				// Readable XML: an entry it cannot use is skipped, but
				// a sync answer must still end with a token.
				if err == nil || !strings.Contains(err.Error(), "sync-token") {
					t.Errorf("Changes: %v, want an error about the missing sync-token", err)
				}
				return
			}
			if err == nil {
				t.Error("Changes on a malformed answer succeeded")
			} else if !strings.Contains(err.Error(), "carddav: sync "+fakeBook) {
				t.Errorf("error %q does not say what failed", err)
			}
			// Fetch falls back to GET, which the hook leaves alone.
			href := f.put("a.vcf", aliceCard)
			if it := fetchOne(t, c, href); it.Card == nil {
				t.Errorf("Fetch after an unreadable multiget: %v", it.Err)
			}
		})
	}
}

func TestCreateFindsItsOwn(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	href := f.put("abcdefghijkl.vcf", aliceCard)
	it, err := c.Create(context.Background(), "abcdefghijkl", testCard("another"))
	if err != nil {
		t.Fatalf("Create over an existing resource: %v", err)
	}
	if it.ID != href || it.Key != "abcdefghijkl" || it.Card == nil || it.Card.Value("FN") != "Alice Example" {
		t.Errorf("Create returned %+v, want the existing card with its key", it)
	}
	listed, _, _, _ := listAll(t, c, "")
	if got := listed[href].Key; got != "abcdefghijkl" {
		t.Errorf("listing gives key %q for a resource named after a record id", got)
	}
}

func TestAmbiguousWrites(t *testing.T) {
	// The server acts on a write but its answer is lost; the retry then
	// meets our own first attempt.
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	ctx := context.Background()
	it, err := c.Create(ctx, "abcdefghijkl", testCard("v1"))
	if err != nil {
		t.Fatal(err)
	}
	loseNext := func(method string) {
		lost := false
		f.hook = func(w http.ResponseWriter, r *http.Request, body string) bool {
			if r.Method != method || lost {
				return false
			}
			lost = true
			f.hook = nil
			r.Body = io.NopCloser(strings.NewReader(body))
			f.serve(httptestRecorder{}, r) // act on it
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
	}
	loseNext(http.MethodPut)
	up, err := c.Update(ctx, it.ID, it.ETag, testCard("v2"))
	if err != nil {
		t.Fatalf("Update whose first answer was lost: %v", err)
	}
	if got := fetchOne(t, c, it.ID); got.ETag != up.ETag || !mapping.Equal(got.Card, testCard("v2")) {
		t.Errorf("after the update: etag %s (Update said %s)", got.ETag, up.ETag)
	}
	loseNext(http.MethodDelete)
	if err := c.Delete(ctx, it.ID, up.ETag); err != nil {
		t.Errorf("Delete whose first answer was lost: %v", err)
	}
	// A true conflict is still one.
	it2, _ := c.Create(ctx, "bcdefghijklm", testCard("x"))
	f.put("bcdefghijklm.vcf", aliceCard) // someone else
	if _, err := c.Update(ctx, it2.ID, it2.ETag, testCard("y")); !errors.Is(err, connectors.ErrPreconditionFailed) {
		t.Errorf("Update over another client's change: %v, want ErrPreconditionFailed", err)
	}
}

// httptestRecorder discards an answer.
type httptestRecorder struct{}

func (httptestRecorder) Header() http.Header         { return http.Header{} }
func (httptestRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (httptestRecorder) WriteHeader(int)             {}

func TestRadicalePhotoRepair(t *testing.T) {
	// What Radicale (vobject) serves back of a 4.0 photo.
	damaged := "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:P\r\nUID:p\r\nPHOTO:data:image/jpeg\\;base64\\,/9j/4AAQ\r\nLOGO:data:image/png\\;base64,iVBORw0K\r\nEND:VCARD\r\n"
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	href := f.put("p.vcf", damaged)
	it := fetchOne(t, c, href)
	if it.Card == nil {
		t.Fatalf("Fetch: %v", it.Err)
	}
	if got := it.Card.Get("PHOTO").Value; got != "data:image/jpeg;base64,/9j/4AAQ" {
		t.Errorf("PHOTO read as %q", got)
	}
	if got := it.Card.Get("LOGO").Value; got != "data:image/png;base64,iVBORw0K" {
		t.Errorf("LOGO read as %q", got)
	}
}

func TestVersions(t *testing.T) {
	ctx := context.Background()
	for _, v4 := range []bool{false, true} {
		f := newFakeDAV(t)
		f.vcard4 = v4
		c := f.connector(t, nil)
		want := mapping.Version30
		if v4 {
			want = mapping.Version40
		}
		if got := c.Capabilities().Version; got != want {
			t.Errorf("vcard4 %v: Capabilities().Version %s, want %s", v4, got, want)
		}
		it, err := c.Create(ctx, "abcdefghijkl", testCard(""))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.cards[it.ID].data; !strings.Contains(got, "VERSION:"+string(want)) {
			t.Errorf("vcard4 %v: created as\n%s", v4, got)
		}
	}

	f := newFakeDAV(t)
	c := f.connector(t, nil)
	v21 := f.put("old.vcf", strings.Replace(aliceCard, "VERSION:3.0", "VERSION:2.1", 1))
	v40 := f.put("new.vcf", strings.Replace(aliceCard, "VERSION:3.0", "VERSION:4.0", 1))
	for href, want := range map[string]mapping.Version{v21: mapping.Version30, v40: mapping.Version40} {
		it := fetchOne(t, c, href)
		card := it.Card.Clone()
		card.Version = "" // the caller does not say: the version read is kept
		if _, err := c.Update(ctx, href, it.ETag, card); err != nil {
			t.Fatal(err)
		}
		if got := f.cards[href].data; !strings.Contains(got, "VERSION:"+string(want)) {
			t.Errorf("%s updated as\n%s\nwant version %s", href, got, want)
		}
	}
	// The caller's version wins over what was read.
	it := fetchOne(t, c, v40)
	card := it.Card.Clone()
	card.Version = mapping.Version30
	if _, err := c.Update(ctx, v40, it.ETag, card); err != nil {
		t.Fatal(err)
	}
	if got := f.cards[v40].data; !strings.Contains(got, "VERSION:3.0") {
		t.Errorf("Update with card.Version 3.0 wrote\n%s", got)
	}
}

func TestRequiredAdded(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	bare := &mapping.Card{}
	bare.Add(mapping.Property{Name: "EMAIL", Value: "nobody@example.org"})
	it, err := c.Create(context.Background(), "abcdefghijkl", bare)
	if err != nil {
		t.Fatal(err)
	}
	stored := f.cards[it.ID].data
	if !strings.Contains(stored, "UID:urn:uuid:") || !strings.Contains(stored, "\r\nFN;"+addedParam) {
		t.Errorf("a card without UID and FN was stored as\n%s", stored)
	}
	got := fetchOne(t, c, it.ID)
	if got.Card == nil || !mapping.Equal(got.Card, bare) {
		t.Errorf("read back with what was added: %+v", got.Card)
	}
}

func TestVobjectSafe(t *testing.T) {
	in := "BEGIN:VCARD\r\nVERSION:3.0\r\nNICKNAME:a,b\r\nN:Doe;Jo,Ann;;;\r\nADR:;;1,2;x;;;\r\nORG:A;B\r\n" +
		"CATEGORIES:x,y\r\nGEO;TYPE=work:geo:1.5,2.5\r\nX-A:p\\,q,r\r\nPHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\n" +
		"item1.URL;LABEL=\"a,b:c\":http://e.org/?a=1,2\r\nNOTE:" + strings.Repeat("ü", 40) + ",x\r\nEND:VCARD\r\n"
	out := string(vobjectSafe([]byte(in)))
	for _, want := range []string{
		"NICKNAME:a\\,b\r\n", "N:Doe;Jo,Ann;;;\r\n", "ADR:;;1,2;x;;;\r\n", "CATEGORIES:x,y\r\n",
		"GEO;TYPE=work:geo:1.5\\,2.5\r\n", "X-A:p\\,q\\,r\r\n", "PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\n",
		"item1.URL;LABEL=\"a,b:c\":http://e.org/?a=1\\,2\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("vobjectSafe output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
	}
	back, err := mapping.Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(back.Value("NOTE"), ",x") || !strings.HasPrefix(back.Value("NOTE"), "üü") {
		t.Errorf("NOTE folded badly: %q", back.Value("NOTE"))
	}
	vobjectRepair(back)
	if got := back.Get("NICKNAME").List(); len(got) != 2 {
		t.Errorf("NICKNAME after repair: %q", got)
	}
}

func TestResourceName(t *testing.T) {
	cases := map[string]string{
		"kXJ5pQ0vR2aS":          "kXJ5pQ0vR2aS.vcf",
		"-_abcXYZ0189":          "-_abcXYZ0189.vcf",
		"has/slash":             "h-",
		"":                      "h-",
		strings.Repeat("a", 65): "h-",
	}
	for key, want := range cases {
		got := ResourceName(key)
		if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ".vcf") || strings.ContainsAny(got, "/?#%") {
			t.Errorf("ResourceName(%q) = %q, want %s…", key, got, want)
		}
		if ResourceName(key) != got {
			t.Errorf("ResourceName(%q) is not deterministic", key)
		}
	}
	if keyOf("/b/kXJ5pQ0vR2aS.vcf") != "kXJ5pQ0vR2aS" || keyOf("/b/someone.vcf") != "" || keyOf("/b/kXJ5pQ0vR2a!.vcf") != "" || keyOf("/b/h-00.vcf") != "" {
		t.Error("keyOf does not recognise exactly the record-id names")
	}
}

func TestIDsOutsideTheBook(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	ctx := context.Background()
	for _, id := range []string{"/h/other/a.vcf", fakeBook + "../x.vcf", fakeBook, "relative.vcf", fakeBook + "sub/a.vcf"} {
		if _, err := c.Update(ctx, id, `"e1"`, testCard("")); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Update %q: %v, want ErrNotFound", id, err)
		}
		if err := c.Delete(ctx, id, `"e1"`); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Delete %q: %v, want ErrNotFound", id, err)
		}
		if it := fetchOne(t, c, id); !errors.Is(it.Err, connectors.ErrNotFound) {
			t.Errorf("Fetch %q: %v, want ErrNotFound", id, it.Err)
		}
	}
	if n := f.count("PUT", "") + f.count("DELETE", "") + f.count("REPORT", "") + f.count("GET", ""); n != 0 {
		t.Errorf("%d requests left the address book", n)
	}
}

func TestBearerToken(t *testing.T) {
	f := newFakeDAV(t)
	f.bearer = "tok-123"
	if _, err := New(context.Background(), Config{URL: f.srv.URL, BearerToken: "tok-123"}); err != nil {
		t.Errorf("New with the right bearer token: %v", err)
	}
	_, err := New(context.Background(), Config{URL: f.srv.URL, BearerToken: "tok-999"})
	if err == nil || !strings.Contains(err.Error(), "check the bearer token") || strings.Contains(err.Error(), "tok-999") {
		t.Errorf("New with a wrong bearer token: %v", err)
	}
}

func TestTLS(t *testing.T) {
	f := newFakeDAVTLS(t)
	_, err := New(context.Background(), Config{URL: f.srv.URL, Retry: connectors.RetryPolicy{Attempts: 1}})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("New against an unknown certificate: %v, want a certificate error", err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := New(context.Background(), Config{URL: f.srv.URL, CAFile: caFile})
	if err != nil {
		t.Fatalf("New with CAFile: %v", err)
	}
	if _, err := c.Create(context.Background(), "abcdefghijkl", testCard("")); err != nil {
		t.Errorf("Create over TLS: %v", err)
	}
	if _, err := New(context.Background(), Config{URL: f.srv.URL, CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Error("New with a missing CAFile succeeded")
	}
}

func TestOversizedGET(t *testing.T) {
	f := newFakeDAV(t)
	c := f.connector(t, nil)
	href := f.put("huge.vcf", "BEGIN:VCARD\r\nNOTE:"+strings.Repeat("x", maxCard)+"\r\nEND:VCARD\r\n")
	f.hook = func(w http.ResponseWriter, r *http.Request, _ string) bool {
		if r.Method == "REPORT" {
			w.WriteHeader(http.StatusBadRequest)
			return true
		}
		return false
	}
	if it := fetchOne(t, c, href); !errors.Is(it.Err, mapping.ErrCardTooLarge) {
		t.Errorf("Fetch of a card larger than the limit by GET: %v, want ErrCardTooLarge", it.Err)
	}
}
