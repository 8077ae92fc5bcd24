// Package carddav connects one CardDAV address book (RFC 6352): Radicale,
// Xandikos, Nextcloud, iCloud, Fastmail and the like.
//
// It builds on github.com/emersion/go-webdav v0.7.0 for discovery and sends
// the requests that library gets wrong or lacks itself:
//
//   - Writes are PUT with the bytes mapping.Marshal makes (go-vcard's encoder,
//     which PutAddressObject uses, neither escapes ";" nor folds), with
//     If-None-Match: * for a create and If-Match for an update or delete.
//   - Listings, sync-collection (RFC 6578) and addressbook-multiget are sent
//     raw and their multistatus parsed here: v0.7.0 fails a whole answer on
//     one weak or unquoted ETag or one missing href, and decodes cards with
//     go-vcard.
//   - /.well-known/carddav and every redirect are followed here with the
//     same method and body: net/http turns a redirected PROPFIND into a GET.
//   - Address books are made with an extended MKCOL (RFC 5689).
//
// Changes uses sync-collection when the address book offers it (tokens
// "sync:…"), else a getctag check that costs one PROPFIND when nothing
// changed and a Depth-1 etag listing when something did ("ctag:…"), else
// always the listing ("list:"). Listings and sync results carry ids (href
// paths) and etags only; Fetch reads cards with addressbook-multiget in
// batches of 100 and falls back to one GET per card when a batch fails.
// addressbook-query is never used (broken on Xandikos 0.2.8).
//
// Every request is retried with exponential backoff and jitter on 429, 5xx,
// timeouts and dropped connections, honouring Retry-After; all requests the
// connector sends are idempotent (writes are conditional), and an answer
// that a retried write gets because its first attempt did succeed (412,
// 404) is recognised as that success.
//
// New cards get vCard 4.0 only when the address book declares it in
// supported-address-data, else 3.0 (photos as ENCODING=b, which Radicale
// keeps intact); an update keeps the version the card has on the server.
// A card without UID or FN gets them on the way out (CardDAV requires a
// UID, Radicale an FN) in a form the connector recognises and removes on
// the way back (required.go). Radicale is recognised by its sync-token and
// written around its vobject's habit of cutting values at their first
// comma (quirks.go).
//
// Nothing of a card, no password and no token reaches an error or a log:
// items are named by href.
package carddav

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// Defaults for the Config fields left zero.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultConcurrency = 4
)

// PageSize is the most changes in one page of Changes.
const PageSize = 1000

// BatchSize is the most cards one addressbook-multiget asks for.
const BatchSize = 100

// Config says which account and address book to connect, and how.
type Config struct {
	// URL is where discovery starts: a server root, a principal, an
	// address book home set or an address book. /.well-known/carddav at
	// the host root is tried first.
	URL string
	// Username and Password authenticate with HTTP Basic. The password is
	// never logged nor put in an error.
	Username string
	Password string
	// BearerToken authenticates with "Authorization: Bearer" instead.
	BearerToken string
	// AddressBook picks the address book by display name or path; "" picks
	// the only one, the one URL names, or the one called "default" or
	// "contacts". An ambiguous or unknown name is an error that lists the
	// choices.
	AddressBook string
	// Create makes the address book (extended MKCOL in the home set) when
	// AddressBook names none.
	Create bool
	// CAFile names a PEM file of extra root certificates. TLS is always
	// verified.
	CAFile string
	// Timeout bounds each HTTP request, its answer included (default
	// DefaultTimeout).
	Timeout time.Duration
	// Concurrency is the most writes the bridge should send at once
	// (default DefaultConcurrency), reported in Capabilities.
	Concurrency int
	// Retry says how failed requests are retried (zero: the defaults of
	// connectors.RetryPolicy).
	Retry connectors.RetryPolicy
	// Logger receives debug logs of retries and discovery (default: none).
	Logger *slog.Logger
	// HTTPClient replaces the client built from CAFile and Timeout, for
	// tests. Its redirect policy is overridden: redirects are followed by
	// the connector itself.
	HTTPClient *http.Client
}

// An AddressBook is one address book a server offers.
type AddressBook struct {
	// Path is the address book's URL path, ending in "/".
	Path string `json:"path"`
	// Name is its display name, and Description its description ("" when
	// the server has none).
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// VCard4 is true when the address book declares vCard 4.0 in
	// supported-address-data; new cards are then written as 4.0.
	VCard4 bool `json:"vcard4"`
	// SyncCollection is true when it offers RFC 6578 sync-collection.
	SyncCollection bool `json:"sync_collection"`
}

// Stats counts what a Connector sent, for benchmarks and metrics.
type Stats struct {
	// Requests counts requests by method, every attempt and redirect hop
	// included.
	Requests map[string]int64
	// Retries counts requests sent again after a failure.
	Retries int64
}

// ErrNoAddressBook marks an error of New: the account has no address book
// of the name Config.AddressBook gives (or none at all), and Config.Create
// is not set.
var ErrNoAddressBook = errors.New("no such address book")

// ErrSeveralCards marks a resource that holds more than one vCard. The
// bridge reports it and leaves it alone.
var ErrSeveralCards = errors.New("several vCards in one resource")

// Connector is a connectors.Connector for one CardDAV address book. Make it
// with New, or with Open and then Resume. It is safe for concurrent use,
// except that Resume must not run alongside other calls.
type Connector struct {
	c        *client
	conc     int
	pageSize int
	want     string // Config.AddressBook
	create   bool   // Config.Create
	key      string // what a session must have been made for (sessionKey)

	// prep guards the address book's discovery: the fields below it are
	// written only with prep held, by New, Resume, the first call that
	// needs them (ready) and Changes when a remembered address book has
	// gone (rediscover), and read after ready returned.
	prep     sync.Mutex
	prepared bool
	resumed  bool // the fields came from a session, not from the server
	book     AddressBook
	hasCTag  bool
	vobject  bool // the server is Radicale (see quirks.go)
	version  mapping.Version

	// mu guards versions: href → vCard version of the cards this
	// connector read or wrote, so that an Update of a card whose version
	// the caller does not say keeps the version it has.
	mu       sync.Mutex
	versions map[string]mapping.Version
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Resumer   = (*Connector)(nil)
)

// New discovers the account's address books from cfg.URL, picks the one
// cfg.AddressBook names (making it when cfg.Create is set and it is
// missing) and returns a Connector for it.
func New(ctx context.Context, cfg Config) (*Connector, error) {
	c, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Open checks cfg and returns a Connector for it without sending a
// request: the address book is discovered by the first call that needs it,
// or taken from the session Resume is given. The bridge opens connectors
// this way, so that a sync that changes nothing costs one request.
func Open(cfg Config) (*Connector, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	return &Connector{
		c:        c,
		conc:     conc,
		pageSize: PageSize,
		want:     cfg.AddressBook,
		create:   cfg.Create,
		key:      sessionKey(c, cfg),
		versions: make(map[string]mapping.Version),
	}, nil
}

// ready discovers the address book unless that was done or resumed.
func (c *Connector) ready(ctx context.Context) error {
	c.prep.Lock()
	defer c.prep.Unlock()
	if c.prepared {
		return nil
	}
	return c.discoverBook(ctx)
}

// discoverBook finds the address book on the server (making it when
// configured to) and sets the Connector's fields from it. prep is held.
func (c *Connector) discoverBook(ctx context.Context) error {
	d, err := c.c.discover(ctx)
	if err != nil {
		return err
	}
	book, err := d.pick(c.want)
	if errors.Is(err, ErrNoAddressBook) && c.create {
		book, err = c.c.createBook(ctx, d, c.want)
	}
	if err != nil {
		return err
	}
	c.c.log.Debug("carddav: address book chosen", "op", "discover", "remote_id", book.Path,
		"sync_collection", book.SyncCollection, "ctag", book.ctag, "vcard4", book.VCard4, "vobject", book.vobject)
	c.setBook(book)
	c.resumed = false
	return nil
}

// setBook sets the fields that depend on the address book. prep is held.
func (c *Connector) setBook(b bookInfo) {
	c.book, c.hasCTag, c.vobject = b.AddressBook, b.ctag, b.vobject
	c.version = mapping.Version30
	if b.VCard4 {
		c.version = mapping.Version40
	}
	c.prepared = true
}

// Discover returns the address books the account offers, for a user to
// choose from. cfg.AddressBook and cfg.Create are ignored.
func Discover(ctx context.Context, cfg Config) ([]AddressBook, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	d, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AddressBook, len(d.books))
	for i, b := range d.books {
		out[i] = b.AddressBook
	}
	return out, nil
}

// AddressBook returns the address book the Connector syncs; its zero
// value before New, Resume or a first call found it.
func (c *Connector) AddressBook() AddressBook {
	c.prep.Lock()
	defer c.prep.Unlock()
	return c.book
}

// Stats returns the requests sent so far.
func (c *Connector) Stats() Stats { return c.c.stats.snapshot() }

// Capabilities implements connectors.Connector: a CardDAV server stores any
// vCard property.
// The version of new cards is known once the address book is: after New,
// Resume or a first call (before, it says 3.0).
func (c *Connector) Capabilities() connectors.Capabilities {
	c.prep.Lock()
	v := c.version
	c.prep.Unlock()
	if v == "" {
		v = mapping.Version30
	}
	return connectors.Capabilities{
		Version:     v,
		BatchSize:   BatchSize,
		Concurrency: c.conc,
	}
}

// newClient checks cfg and builds the HTTP client for it.
func newClient(cfg Config) (*client, error) {
	if cfg.URL == "" {
		return nil, errors.New("carddav: no URL configured")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("carddav: URL %q: want http:// or https:// and a host", redactURL(cfg.URL))
	}
	if u.User != nil {
		// Credentials in the URL would end up in logs; take them out.
		if cfg.Username == "" {
			cfg.Username = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && cfg.Password == "" {
			cfg.Password = p
		}
		u.User = nil
	}
	u.RawQuery, u.Fragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = conc + 2
		tr.MaxIdleConns = max(tr.MaxIdleConns, conc+2)
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("carddav: ca_file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("carddav: ca_file %s: no PEM certificate in it", cfg.CAFile)
			}
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		hc.Transport = tr
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	account := u.Host
	if cfg.Username != "" {
		account = cfg.Username + "@" + u.Host
	}
	c := &client{
		hc:      &hc,
		origin:  u,
		account: account,
		timeout: cfg.Timeout,
		retry:   cfg.Retry.WithDefaults(),
		log:     log,
		sleep:   connectors.SleepContext,
		now:     time.Now,
		stats:   newCounters(),
	}
	switch {
	case cfg.BearerToken != "":
		c.authorization = "Bearer " + cfg.BearerToken
		c.authHint = "check the bearer token"
	case cfg.Username != "" || cfg.Password != "":
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(cfg.Username, cfg.Password)
		c.authorization = r.Header.Get("Authorization")
		c.authHint = "check username and password_file"
	default:
		c.authHint = "the server wants credentials: set username and password_file"
	}
	return c, nil
}

// redactURL returns s without the credentials it may hold, for messages.
func redactURL(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if scheme := strings.Index(s, "://"); scheme >= 0 && scheme < at {
			return s[:scheme+3] + "…@" + s[at+1:]
		}
	}
	return s
}

// rememberVersion records the vCard version of the card at href.
func (c *Connector) rememberVersion(href string, v mapping.Version) {
	if v == "" {
		return
	}
	c.mu.Lock()
	c.versions[href] = v
	c.mu.Unlock()
}

// forgetVersion drops what rememberVersion recorded for href.
func (c *Connector) forgetVersion(href string) {
	c.mu.Lock()
	delete(c.versions, href)
	c.mu.Unlock()
}

// versionFor returns the version to write the card at href in: the
// version the caller read it in (card.Version), else the one this
// connector saw, else the address book's default. 2.1 becomes 3.0.
func (c *Connector) versionFor(href string, card *mapping.Card) mapping.Version {
	v := card.Version
	if v == "" {
		c.mu.Lock()
		v = c.versions[href]
		c.mu.Unlock()
	}
	switch v {
	case mapping.Version40, mapping.Version30:
		return v
	case mapping.Version21:
		return mapping.Version30
	}
	return c.version
}
