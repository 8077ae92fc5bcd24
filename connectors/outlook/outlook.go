// Package outlook connects the personal contacts of one Outlook /
// Microsoft 365 mailbox through Microsoft Graph (v1.0), with a small client
// on net/http and golang.org/x/oauth2.
//
// Changes runs a delta query on the configured contact folder, following
// @odata.nextLink pages and keeping the @odata.deltaLink as the token;
// @removed entries are deletions, replayed entries are harmless, and a
// lost sync state (410 SyncStateNotFound, resyncRequired) gives
// connectors.ErrTokenExpired so the bridge lists everything once, which
// creates no duplicates. Delta pages carry whole contacts but neither
// photos nor extended properties, so they are passed as ids and etags and
// the bridge Fetches the ones it does not know (its own writes come back
// with the etag it stored): Fetch reads photos in $batch requests.
//
// Writes go in JSON $batch requests of at most 20, each fully sequential
// (dependsOn), so that one holds one of the mailbox's four concurrent
// requests; up to Config.Concurrency of them run at once. Updates and
// deletes carry If-Match with the change key read, and a stale one is a
// precondition failure the bridge merges again. Every request says
// Prefer: IdType="ImmutableId", so ids survive folder moves. The hub
// record id travels in a single-value extended property on creates;
// FindKeys finds a create whose answer a crash lost, by that property, in
// a plain listing that sees writes at once. Contacts map as mapping.go
// describes, within Outlook's fixed slots; what Graph cannot store stays in
// the hub.
package outlook

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/semaphore"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// Limits of Graph (reference §0, §3, §5, §6).
const (
	maxPageSize    = 200
	maxBatch       = 20
	maxConcurrency = 4
	maxPhotoBytes  = 4 << 20
)

// Connector is a connectors.Connector, BatchWriter, Resumer, Normalizer
// and KeyFinder for the contacts of one contact folder of one mailbox.
// Make it with New.
type Connector struct {
	c        *client
	pageSize int
	folder   string // as configured
	save     func(context.Context, string) error

	mu       sync.Mutex
	folderID string // resolved; "" until then
	// seen keeps the contacts the last delta pages carried, for Fetch to
	// complete with their photos without reading them again.
	seen map[string]*Contact
	// photos records which photo each contact read or written has
	// (photoHash), so that an update sends a photo only when it changed.
	photos map[string][32]byte
	// keys maps the record keys of the contacts this connector created or
	// found to their ids, so that a create retried with the same key
	// returns the first contact.
	keys map[string]string

	conf    *oauth2.Config
	tctx    context.Context // carries the raw client to the token requests
	refresh string          // the newest refresh token
	ts      oauth2.TokenSource
}

var (
	_ connectors.Connector   = (*Connector)(nil)
	_ connectors.BatchWriter = (*Connector)(nil)
	_ connectors.Resumer     = (*Connector)(nil)
	_ connectors.Normalizer  = (*Connector)(nil)
	_ connectors.KeyFinder   = (*Connector)(nil)
)

// New returns a Connector for cfg. It sends no request: the first call
// exchanges the refresh token for an access token.
func New(ctx context.Context, cfg Config) (*Connector, error) {
	if cfg.RefreshToken == "" {
		return nil, errors.New("outlook: no refresh token: run `contactbridge accounts connect` or set refresh_token_file")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("outlook: no client_id")
	}
	endpoint := cmp.Or(cfg.Endpoint, DefaultEndpoint)
	base, err := url.Parse(endpoint)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("outlook: api_endpoint %q: want an http(s) URL", endpoint)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	raw := cfg.HTTPClient
	if raw == nil {
		raw = &http.Client{Timeout: 60 * time.Second}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ps := cfg.PageSize
	if ps <= 0 || ps > maxPageSize {
		ps = maxPageSize
	}
	width := cfg.Concurrency
	if width <= 0 || width > maxConcurrency {
		width = maxConcurrency
	}
	c := &Connector{
		c: &client{base: base, account: cmp.Or(cfg.Account, "outlook"), retry: cfg.Retry.WithDefaults(), log: log,
			sleep: connectors.SleepContext, now: time.Now, slots: semaphore.NewWeighted(int64(width)), width: int64(width)},
		pageSize: ps, folder: cfg.Folder, save: cfg.SaveRefreshToken, seen: map[string]*Contact{}, photos: map[string][32]byte{}, keys: map[string]string{},
		conf: OAuthConfig(cfg.ClientID, cmp.Or(cfg.TokenURL, TokenURL(DefaultTenant))),
		// The token source outlives ctx: it refreshes on later calls too.
		tctx:    context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, raw),
		refresh: cfg.RefreshToken,
	}
	c.authorize(&oauth2.Token{RefreshToken: cfg.RefreshToken}, raw.Timeout)
	c.c.reauth = func() {
		c.mu.Lock()
		refresh := c.refresh
		c.mu.Unlock()
		c.authorize(&oauth2.Token{RefreshToken: refresh}, raw.Timeout)
	}
	return c, nil
}

// authorize makes the client send tok, refreshing it when it expires.
func (c *Connector) authorize(tok *oauth2.Token, timeout time.Duration) {
	ts := oauth2.ReuseTokenSource(tok, &rotating{c: c, src: c.conf.TokenSource(c.tctx, tok)})
	hc := oauth2.NewClient(c.tctx, ts)
	hc.Timeout = timeout
	c.mu.Lock()
	c.ts = ts
	c.mu.Unlock()
	c.c.SetClient(hc)
}

// rotating hands out the tokens of src and keeps every new refresh token
// the moment it arrives: the identity platform rotates them on each use
// and the old one stops working (reference §8.3).
type rotating struct {
	c   *Connector
	src oauth2.TokenSource
}

// Token implements oauth2.TokenSource.
func (r *rotating) Token() (*oauth2.Token, error) {
	tok, err := r.src.Token()
	if err != nil {
		return nil, err
	}
	c := r.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if tok.RefreshToken == "" || tok.RefreshToken == c.refresh {
		return tok, nil
	}
	if c.save != nil {
		if err := c.save(c.tctx, tok.RefreshToken); err != nil {
			// Asked again, the token source hands out the same token and
			// this tries again to keep it.
			return nil, &signInError{fmt.Errorf("outlook: keep the new refresh token: %w", err)}
		}
	}
	c.refresh = tok.RefreshToken
	return tok, nil
}

// session is what the connector keeps between runs (connectors.Resumer):
// the access token while it is valid, so that a run within its hour costs
// no token request, and the folder id, so that it costs no folder lookup.
type session struct {
	AccessToken string    `json:"access_token,omitempty"`
	Expiry      time.Time `json:"expiry,omitzero"`
	Folder      string    `json:"folder,omitempty"`    // as configured
	FolderID    string    `json:"folder_id,omitempty"` // what it resolved to
}

// Resume implements connectors.Resumer.
func (c *Connector) Resume(_ context.Context, s string) error {
	var ss session
	if s == "" || json.Unmarshal([]byte(s), &ss) != nil {
		return nil
	}
	if ss.Folder == c.folder && ss.FolderID != "" {
		c.mu.Lock()
		c.folderID = ss.FolderID
		c.mu.Unlock()
	}
	if ss.AccessToken == "" || time.Until(ss.Expiry) < time.Minute {
		return nil
	}
	c.mu.Lock()
	refresh := c.refresh
	c.mu.Unlock()
	c.authorize(&oauth2.Token{AccessToken: ss.AccessToken, Expiry: ss.Expiry, TokenType: "Bearer", RefreshToken: refresh},
		c.c.Client().Timeout)
	return nil
}

// Session implements connectors.Resumer.
func (c *Connector) Session() string {
	c.mu.Lock()
	ts, ss := c.ts, session{Folder: c.folder, FolderID: c.folderID}
	c.mu.Unlock()
	if tok, err := ts.Token(); err == nil && tok.AccessToken != "" && !tok.Expiry.IsZero() {
		ss.AccessToken, ss.Expiry = tok.AccessToken, tok.Expiry
	}
	if ss == (session{Folder: c.folder}) {
		return ""
	}
	b, _ := json.Marshal(ss)
	return string(b)
}

// Requests returns the requests sent so far, by endpoint ("delta",
// "$batch", "contacts.list", "contactFolders.list" …).
func (c *Connector) Requests() map[string]int64 { return c.c.Counts() }

// Capabilities implements connectors.Connector: what Outlook stores
// (mapping.go), writes in groups of up to Concurrency sequential batches
// of 20, and no listing delay (FindKeys sees writes at once).
func (c *Connector) Capabilities() connectors.Capabilities {
	caps := capabilities()
	caps.BatchSize = maxBatch * int(c.c.width)
	caps.Concurrency = int(c.c.width)
	return caps
}

// Normalize implements connectors.Normalizer: what Outlook keeps of card
// (keep).
func (c *Connector) Normalize(card *mapping.Card) *mapping.Card { return keep(card) }
