package davtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"
)

// GoWebDAV serves go-webdav v0.7.0's own CardDAV server (carddav.Handler)
// over an in-memory backend, on an httptest loopback server, with Basic
// authentication (alice / secret). Principal /alice/, home set
// /alice/contacts/.
//
// That server offers neither sync-collection nor getctag, so a connector
// lists etags on every call. It has no conditional DELETE either (its
// Backend's DeleteAddressObject gets no preconditions): a DELETE with
// If-Match is checked and done here, in front of the handler, as a real
// server would. It stores cards as go-vcard decodes them and serves them
// as go-vcard encodes them, with go-vcard's escaping faults (see
// GoWebDAVKeeps). The body of a PUT is unfolded before the handler reads
// it: go-vcard's decoder joins folded lines one at a time, which is
// quadratic (a card with a 1 MB photo took 10 s); unfolding changes
// nothing it stores.
func GoWebDAV(t testing.TB) *Server {
	t.Helper()
	b := &memBackend{principal: "/alice/", home: "/alice/contacts/", books: map[string]*memBook{}}
	h := &carddav.Handler{Backend: b}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="davtest"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodDelete && r.Header.Get("If-Match") != "" {
			b.conditionalDelete(w, r)
			return
		}
		if r.Method == http.MethodPut {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(unfold(body)))
			r.ContentLength = -1
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &Server{
		Name:     "go-webdav",
		URL:      srv.URL + "/",
		Username: "alice",
		Password: "secret",
		Home:     "/alice/contacts/",
		client:   srv.Client(),
	}
}

// GoWebDAVKeeps returns what GoWebDAV's server hands back of a vCard sent
// as text: go-vcard decodes it, encodes it again, and the answer to an
// addressbook-multiget carries it as XML character data. go-vcard
// unescapes neither "\;" nor "\N" and never escapes ";", so structured
// values with an escaped semicolon come back split differently; and
// encoding/xml replaces the characters XML cannot carry (controls but tab,
// CR, LF) with U+FFFD. Tests use it to say what that server is expected to
// keep.
func GoWebDAVKeeps(text []byte) ([]byte, error) {
	card, err := vcard.NewDecoder(bytes.NewReader(unfold(text))).Decode()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := vcard.NewEncoder(&out).Encode(card); err != nil {
		return nil, err
	}
	return bytes.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, out.Bytes()), nil
}

// unfold joins folded vCard lines (a line end followed by a space or tab).
func unfold(text []byte) []byte {
	text = bytes.ReplaceAll(text, []byte("\r\n "), nil)
	text = bytes.ReplaceAll(text, []byte("\r\n\t"), nil)
	text = bytes.ReplaceAll(text, []byte("\n "), nil)
	return bytes.ReplaceAll(text, []byte("\n\t"), nil)
}

// memBackend is an in-memory carddav.Backend for one user.
type memBackend struct {
	principal, home string

	mu    sync.Mutex
	books map[string]*memBook // by path, ending in "/"
	seq   int
}

type memBook struct {
	ab   carddav.AddressBook
	objs map[string]*memObj // by path
}

type memObj struct {
	card vcard.Card
	etag string
	mod  time.Time
}

var _ carddav.Backend = (*memBackend)(nil)

func notFound(what string) error {
	return webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("%s not found", what))
}

func (b *memBackend) CurrentUserPrincipal(context.Context) (string, error) { return b.principal, nil }

func (b *memBackend) AddressBookHomeSetPath(context.Context) (string, error) { return b.home, nil }

func (b *memBackend) ListAddressBooks(context.Context) ([]carddav.AddressBook, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []carddav.AddressBook
	for _, bk := range b.books {
		out = append(out, bk.ab)
	}
	slices.SortFunc(out, func(x, y carddav.AddressBook) int { return strings.Compare(x.Path, y.Path) })
	return out, nil
}

func (b *memBackend) GetAddressBook(_ context.Context, p string) (*carddav.AddressBook, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.books[bookPath(p)]
	if !ok {
		return nil, notFound("address book")
	}
	ab := bk.ab
	return &ab, nil
}

func (b *memBackend) CreateAddressBook(_ context.Context, ab *carddav.AddressBook) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := bookPath(ab.Path)
	if _, ok := b.books[p]; ok {
		return webdav.NewHTTPError(http.StatusMethodNotAllowed, fmt.Errorf("%s exists", p))
	}
	nb := *ab
	nb.Path = p
	b.books[p] = &memBook{ab: nb, objs: map[string]*memObj{}}
	return nil
}

func (b *memBackend) DeleteAddressBook(_ context.Context, p string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.books[bookPath(p)]; !ok {
		return notFound("address book")
	}
	delete(b.books, bookPath(p))
	return nil
}

// object returns the object at p and its book; the lock must be held.
func (b *memBackend) object(p string) (*memBook, *memObj) {
	p = path.Clean(p)
	bk := b.books[path.Dir(p)+"/"]
	if bk == nil {
		return nil, nil
	}
	return bk, bk.objs[p]
}

func (b *memBackend) GetAddressObject(_ context.Context, p string, _ *carddav.AddressDataRequest) (*carddav.AddressObject, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, o := b.object(p)
	if o == nil {
		return nil, notFound("card")
	}
	return &carddav.AddressObject{Path: path.Clean(p), ETag: o.etag, ModTime: o.mod, Card: o.card}, nil
}

func (b *memBackend) ListAddressObjects(_ context.Context, p string, _ *carddav.AddressDataRequest) ([]carddav.AddressObject, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.books[bookPath(p)]
	if bk == nil {
		return nil, notFound("address book")
	}
	out := make([]carddav.AddressObject, 0, len(bk.objs))
	for op, o := range bk.objs {
		out = append(out, carddav.AddressObject{Path: op, ETag: o.etag, ModTime: o.mod, Card: o.card})
	}
	slices.SortFunc(out, func(x, y carddav.AddressObject) int { return strings.Compare(x.Path, y.Path) })
	return out, nil
}

func (b *memBackend) QueryAddressObjects(ctx context.Context, p string, q *carddav.AddressBookQuery) ([]carddav.AddressObject, error) {
	all, err := b.ListAddressObjects(ctx, p, &q.DataRequest)
	if err != nil {
		return nil, err
	}
	return carddav.Filter(q, all)
}

func (b *memBackend) PutAddressObject(_ context.Context, p string, card vcard.Card, opts *carddav.PutAddressObjectOptions) (*carddav.AddressObject, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p = path.Clean(p)
	bk, o := b.object(p)
	if bk == nil {
		return nil, webdav.NewHTTPError(http.StatusConflict, fmt.Errorf("no address book holds %s", p))
	}
	if opts != nil {
		if opts.IfNoneMatch.IsSet() && o != nil {
			if match, err := opts.IfNoneMatch.MatchETag(o.etag); err != nil || match {
				return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, fmt.Errorf("%s exists", p))
			}
		}
		if opts.IfMatch.IsSet() {
			if o == nil {
				return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, fmt.Errorf("%s does not exist", p))
			}
			if match, err := opts.IfMatch.MatchETag(o.etag); err != nil || !match {
				return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, fmt.Errorf("%s changed", p))
			}
		}
	}
	var buf bytes.Buffer
	if err := vcard.NewEncoder(&buf).Encode(card); err != nil {
		return nil, webdav.NewHTTPError(http.StatusBadRequest, err)
	}
	b.seq++
	sum := sha256.Sum256(buf.Bytes())
	n := &memObj{card: card, etag: fmt.Sprintf("%d-%x", b.seq, sum[:6]), mod: time.Now()}
	bk.objs[p] = n
	return &carddav.AddressObject{Path: p, ETag: n.etag, ModTime: n.mod}, nil
}

func (b *memBackend) DeleteAddressObject(_ context.Context, p string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, o := b.object(p)
	if o == nil {
		return notFound("card")
	}
	delete(bk.objs, path.Clean(p))
	return nil
}

// conditionalDelete answers a DELETE with If-Match: 404 for a missing
// card, 412 for another etag, else deletes it (204).
func (b *memBackend) conditionalDelete(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, o := b.object(r.URL.Path)
	if o == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if match, err := webdav.ConditionalMatch(r.Header.Get("If-Match")).MatchETag(o.etag); err != nil || !match {
		http.Error(w, "precondition failed", http.StatusPreconditionFailed)
		return
	}
	delete(bk.objs, path.Clean(r.URL.Path))
	w.WriteHeader(http.StatusNoContent)
}

// bookPath returns p as a collection path ending in "/".
func bookPath(p string) string {
	return path.Clean(p) + "/"
}
