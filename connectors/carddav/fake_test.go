package carddav

import (
	"context"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
)

// fakeDAV is a small CardDAV server for what real servers never do: weak
// and unquoted etags, truncated sync answers, failing multigets, odd
// statuses. Principal /p/, home set /h/, one address book /h/book/.
// Tests turn its knobs before the first request and hook single requests.
type fakeDAV struct {
	t   *testing.T
	srv *httptest.Server

	// Knobs.
	etagStyle   string // "" (strong), "weak", "unquoted": how getetag and ETag look
	noPutETag   bool   // PUT answers carry no ETag
	sync        bool   // offers sync-collection
	ctag        bool   // has CS:getctag
	vcard4      bool   // declares vCard 4.0
	wellKnown   int    // status of /.well-known/carddav (a redirect to /p/), 0 for 404
	syncLimit   int    // most changes per sync answer (507 beyond), 0 for no limit
	tokenStatus int    // status for any sync with a token, 0 for none
	user, pass  string // Basic credentials required, "" for none
	bearer      string // a bearer token required instead, "" for none

	// hook may answer a request itself (and return true).
	hook func(w http.ResponseWriter, r *http.Request, body string) bool

	mu       sync.Mutex
	cards    map[string]*fakeCard // href → card
	seq      int
	history  []string // hrefs changed, in order; a token is a position
	requests []string // "METHOD path" of every request
}

type fakeCard struct {
	data string
	etag string // opaque value, without quotes
}

const fakeBook = "/h/book/"

func newFakeDAV(t *testing.T) *fakeDAV {
	f := &fakeDAV{t: t, cards: map[string]*fakeCard{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// newFakeDAVTLS is newFakeDAV over HTTPS, with a certificate of its own.
func newFakeDAVTLS(t *testing.T) *fakeDAV {
	f := &fakeDAV{t: t, cards: map[string]*fakeCard{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// connector returns a Connector to the fake's address book with quick
// retries whose waits are recorded in *waits instead of slept.
func (f *fakeDAV) connector(t *testing.T, waits *[]time.Duration) *Connector {
	t.Helper()
	c, err := New(context.Background(), Config{
		URL: f.srv.URL, Username: f.user, Password: f.pass,
		Retry: connectors.RetryPolicy{Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var mu sync.Mutex
	c.c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		if waits != nil {
			*waits = append(*waits, d)
		}
		return ctx.Err()
	}
	return c
}

// put stores a card as another client would.
func (f *fakeDAV) put(name, data string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	href := fakeBook + name
	f.seq++
	f.cards[href] = &fakeCard{data: data, etag: fmt.Sprintf("e%d", f.seq)}
	f.history = append(f.history, href)
	return href
}

// count returns how many requests matched "METHOD path-prefix".
func (f *fakeDAV) count(method, prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if m, p, _ := strings.Cut(r, " "); m == method && strings.HasPrefix(p, prefix) {
			n++
		}
	}
	return n
}

// getetag renders an etag as this server shows it.
func (f *fakeDAV) getetag(e string) string {
	switch f.etagStyle {
	case "weak":
		return `W/"` + e + `"`
	case "unquoted":
		return e
	}
	return `"` + e + `"`
}

// matches compares a precondition header with an opaque etag.
func matches(header, e string) bool {
	h := strings.TrimPrefix(strings.TrimSpace(header), "W/")
	return strings.Trim(h, `"`) == e
}

func (f *fakeDAV) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	body := string(b)
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if f.user != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
	}
	if f.bearer != "" && r.Header.Get("Authorization") != "Bearer "+f.bearer {
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	}
	if f.hook != nil && f.hook(w, r, body) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	switch {
	case p == "/.well-known/carddav":
		if f.wellKnown == 0 {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Location", "/p/")
		w.WriteHeader(f.wellKnown)
	case r.Method == "PROPFIND":
		f.propfind(w, r, p)
	case r.Method == "REPORT" && strings.Contains(body, "sync-collection"):
		f.syncReport(w, body)
	case r.Method == "REPORT" && strings.Contains(body, "addressbook-multiget"):
		f.multiget(w, body)
	case r.Method == http.MethodGet:
		c := f.cards[p]
		if c == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/vcard")
		w.Header().Set("ETag", f.getetag(c.etag))
		io.WriteString(w, c.data)
	case r.Method == http.MethodPut:
		c := f.cards[p]
		if (r.Header.Get("If-None-Match") == "*" && c != nil) ||
			(r.Header.Get("If-Match") != "" && (c == nil || !matches(r.Header.Get("If-Match"), c.etag))) {
			w.WriteHeader(http.StatusPreconditionFailed)
			return
		}
		f.seq++
		nc := &fakeCard{data: body, etag: fmt.Sprintf("e%d", f.seq)}
		f.cards[p] = nc
		f.history = append(f.history, p)
		if !f.noPutETag {
			w.Header().Set("ETag", f.getetag(nc.etag))
		}
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodDelete:
		c := f.cards[p]
		switch {
		case c == nil:
			http.NotFound(w, r)
		case r.Header.Get("If-Match") != "" && !matches(r.Header.Get("If-Match"), c.etag):
			w.WriteHeader(http.StatusPreconditionFailed)
		default:
			delete(f.cards, p)
			f.history = append(f.history, p)
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		http.Error(w, "not here", http.StatusMethodNotAllowed)
	}
}

const msHead = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/">`

func propResponse(href, props string) string {
	return "<D:response><D:href>" + href + "</D:href><D:propstat><D:prop>" + props +
		"</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
}

func statusResponse(href string, status int) string {
	return fmt.Sprintf("<D:response><D:href>%s</D:href><D:status>HTTP/1.1 %d %s</D:status></D:response>",
		href, status, http.StatusText(status))
}

func writeMS(w http.ResponseWriter, parts ...string) {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	io.WriteString(w, msHead+strings.Join(parts, "")+"</D:multistatus>")
}

// bookProps renders the address book's properties; the lock is held.
func (f *fakeDAV) bookProps() string {
	s := `<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype><D:displayname>Book</D:displayname>`
	if f.sync {
		s += `<D:supported-report-set><D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report></D:supported-report-set>`
		s += fmt.Sprintf(`<D:sync-token>t%d</D:sync-token>`, len(f.history))
	}
	if f.ctag {
		s += fmt.Sprintf(`<CS:getctag>c%d</CS:getctag>`, len(f.history))
	}
	if f.vcard4 {
		s += `<C:supported-address-data><C:address-data-type content-type="text/vcard" version="4.0"/></C:supported-address-data>`
	}
	return s
}

func (f *fakeDAV) propfind(w http.ResponseWriter, r *http.Request, p string) {
	depth := r.Header.Get("Depth")
	switch {
	case p == "/" || p == "/p/":
		writeMS(w, propResponse(p, `<D:current-user-principal><D:href>/p/</D:href></D:current-user-principal>`+
			`<C:addressbook-home-set><D:href>/h/</D:href></C:addressbook-home-set>`))
	case p == "/h/":
		parts := []string{propResponse("/h/", `<D:resourcetype><D:collection/></D:resourcetype>`)}
		if depth == "1" {
			parts = append(parts, propResponse(fakeBook, f.bookProps()))
		}
		writeMS(w, parts...)
	case p == fakeBook:
		parts := []string{propResponse(fakeBook, f.bookProps())}
		if depth == "1" {
			for _, href := range slices.Sorted(maps.Keys(f.cards)) {
				parts = append(parts, propResponse(href, "<D:resourcetype/><D:getetag>"+html.EscapeString(f.getetag(f.cards[href].etag))+"</D:getetag>"))
			}
		}
		writeMS(w, parts...)
	case f.cards[p] != nil:
		writeMS(w, propResponse(p, "<D:getetag>"+html.EscapeString(f.getetag(f.cards[p].etag))+"</D:getetag>"))
	case strings.HasPrefix(p, fakeBook):
		writeMS(w, statusResponse(p, http.StatusNotFound))
	default:
		http.NotFound(w, r)
	}
}

var (
	tokenRE = regexp.MustCompile(`<D:sync-token>t?(\d*)</D:sync-token>`)
	hrefRE  = regexp.MustCompile(`<D:href>([^<]*)</D:href>`)
)

func (f *fakeDAV) syncReport(w http.ResponseWriter, body string) {
	from := 0
	if m := tokenRE.FindStringSubmatch(body); m != nil {
		if f.tokenStatus != 0 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(f.tokenStatus)
			io.WriteString(w, `<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>`)
			return
		}
		from, _ = strconv.Atoi(m[1])
	}
	var parts []string
	seen := map[string]bool{}
	pos := from
	for ; pos < len(f.history); pos++ {
		href := f.history[pos]
		if seen[href] {
			continue
		}
		if f.syncLimit > 0 && len(seen) == f.syncLimit {
			break
		}
		seen[href] = true
	}
	for href := range seen {
		if c := f.cards[href]; c != nil {
			parts = append(parts, propResponse(href, "<D:getetag>"+html.EscapeString(f.getetag(c.etag))+"</D:getetag>"))
		} else {
			parts = append(parts, statusResponse(href, http.StatusNotFound))
		}
	}
	if pos < len(f.history) {
		parts = append(parts, statusResponse(fakeBook, http.StatusInsufficientStorage))
	}
	parts = append(parts, fmt.Sprintf("<D:sync-token>t%d</D:sync-token>", pos))
	writeMS(w, parts...)
}

func (f *fakeDAV) multiget(w http.ResponseWriter, body string) {
	var parts []string
	for _, m := range hrefRE.FindAllStringSubmatch(body, -1) {
		href := html.UnescapeString(m[1])
		c := f.cards[href]
		if c == nil {
			parts = append(parts, statusResponse(href, http.StatusNotFound))
			continue
		}
		parts = append(parts, propResponse(href, "<D:getetag>"+html.EscapeString(f.getetag(c.etag))+"</D:getetag>"+
			"<C:address-data>"+html.EscapeString(c.data)+"</C:address-data>"))
	}
	writeMS(w, parts...)
}
