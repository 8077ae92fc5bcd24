// Package google connects the contacts of one Google account through the
// People API (v1), with a small client on net/http and golang.org/x/oauth2.
//
// Changes lists people/me/connections with a sync token (pages of up to
// 1,000; deletions as metadata.deleted; renamed resources reported with
// their previous names so the bridge keeps its links). A token Google no
// longer accepts (400 EXPIRED_SYNC_TOKEN, or 410) gives
// connectors.ErrTokenExpired, and the bridge lists everything once, which
// creates no duplicates. Writes go in batches (batchCreateContacts and
// batchUpdateContacts ≤ 200, batchDeleteContacts ≤ 500), one request at a
// time as Google asks; updates carry the etag read, and a stale one is a
// precondition failure the bridge merges again on its next run. Contact
// groups are CATEGORIES (groups are made as needed); photos are read from
// their URL and written with updateContactPhoto. Everything is mapped as
// mapping.go describes; what Google cannot store stays in the hub.
package google

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// Defaults of Config.
const (
	DefaultEndpoint = "https://people.googleapis.com/"
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
	DefaultAuthURL  = "https://accounts.google.com/o/oauth2/auth"
	// Scope is the OAuth scope the connector needs: read and write contacts.
	Scope = "https://www.googleapis.com/auth/contacts"
)

// Limits of the API (reference §0).
const (
	pageSize        = 1000
	batchWriteLimit = 200
	batchDelLimit   = 500
	batchGetLimit   = 200
	groupPageSize   = 1000
)

// personFields is what the connector reads of a person: every field the
// mapping knows, the metadata (sources, deletion, previous names) and
// clientData (the record key).
const personFields = "addresses,biographies,birthdays,calendarUrls,clientData,emailAddresses,events," +
	"externalIds,genders,imClients,interests,locales,locations,memberships,metadata,miscKeywords," +
	"names,nicknames,occupations,organizations,phoneNumbers,photos,relations,sipAddresses,urls,userDefined"

// syncPrefix marks the tokens Changes returns.
const syncPrefix = "sync:"

// Config says which account to connect and how.
type Config struct {
	// ClientID and ClientSecret name the OAuth client (an installed app's
	// secret is not confidential, but Google wants it).
	ClientID     string
	ClientSecret string
	// RefreshToken is the account's OAuth refresh token (from `accounts
	// connect` or a file). It is never logged.
	RefreshToken string
	// Endpoint is the API's base URL (default DefaultEndpoint), TokenURL
	// the OAuth token endpoint (default DefaultTokenURL).
	Endpoint string
	TokenURL string
	// Account names the account in errors (default "google").
	Account string
	// HTTPClient carries the requests, the token's included (default: a
	// client with a 60 s timeout).
	HTTPClient *http.Client
	// Retry says how failed requests are retried.
	Retry connectors.RetryPolicy
	// Logger receives debug logs (default: none).
	Logger *slog.Logger
	// PageSize is the most people per listing page (default 1,000).
	PageSize int
	// ListingDelay is how long a write may take to reach listings
	// (connectors.Capabilities.ListingDelay): 0 means DefaultListingDelay,
	// a negative value that writes are listed at once (a test server).
	ListingDelay time.Duration
}

// DefaultListingDelay is how long the bridge assumes Google takes to show a
// write in connections.list: Google documents "several minutes" (reference
// §0). Creates a crash left unanswered are not sent again before it passed.
const DefaultListingDelay = 15 * time.Minute

// Connector is a connectors.Connector and connectors.BatchWriter for the
// contacts of one Google account. Make it with New.
type Connector struct {
	c        *client
	raw      *http.Client // without the token: photo downloads
	pageSize int
	delay    time.Duration

	mu     sync.Mutex
	groups map[string]string // group resource name → name; nil until read
	seen   map[string]*Person
	// keys maps the record keys (clientData) of the contacts seen or made
	// to their resource names, so that a create retried with the same key
	// finds the contact the first attempt made.
	keys map[string]string

	conf    *oauth2.Config
	tctx    context.Context // carries raw to the token requests
	refresh string
	ts      oauth2.TokenSource
}

var (
	_ connectors.Connector   = (*Connector)(nil)
	_ connectors.BatchWriter = (*Connector)(nil)
	_ connectors.Resumer     = (*Connector)(nil)
	_ connectors.Normalizer  = (*Connector)(nil)
)

// New returns a Connector for cfg. It sends no request: the first call
// exchanges the refresh token for an access token.
func New(ctx context.Context, cfg Config) (*Connector, error) {
	if cfg.RefreshToken == "" {
		return nil, errors.New("google: no refresh token: run `contactbridge accounts connect` or set refresh_token_file")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("google: no client_id")
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	base, err := url.Parse(endpoint)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("google: api_endpoint %q: want an http(s) URL", endpoint)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = DefaultTokenURL
	}
	raw := cfg.HTTPClient
	if raw == nil {
		raw = &http.Client{Timeout: 60 * time.Second}
	}
	conf := &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: []string{Scope},
		Endpoint: oauth2.Endpoint{AuthURL: DefaultAuthURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	// The token source outlives ctx: it refreshes on later calls too.
	tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, raw)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	account := cfg.Account
	if account == "" {
		account = "google"
	}
	ps := cfg.PageSize
	if ps <= 0 || ps > pageSize {
		ps = pageSize
	}
	c := &Connector{
		c: &client{base: base, account: account, retry: cfg.Retry.WithDefaults(), log: log,
			sleep: connectors.SleepContext, now: time.Now},
		raw: raw, pageSize: ps, delay: max(cmp.Or(cfg.ListingDelay, DefaultListingDelay), 0), seen: map[string]*Person{}, keys: map[string]string{},
		conf: conf, tctx: tctx, refresh: cfg.RefreshToken,
	}
	c.authorize(&oauth2.Token{RefreshToken: cfg.RefreshToken})
	c.c.reauth = func() { c.authorize(&oauth2.Token{RefreshToken: c.refresh}) }
	return c, nil
}

// authorize makes the client send tok, refreshing it when it expires.
func (c *Connector) authorize(tok *oauth2.Token) {
	ts := oauth2.ReuseTokenSource(tok, c.conf.TokenSource(c.tctx, tok))
	hc := oauth2.NewClient(c.tctx, ts)
	hc.Timeout = c.raw.Timeout
	c.mu.Lock()
	c.ts = ts
	c.mu.Unlock()
	c.c.SetClient(hc)
}

// session is what the connector keeps between runs (connectors.Resumer):
// the access token while it is valid, so that a run within its hour costs
// no token request. The bridge stores it encrypted with the account's
// state.
type session struct {
	AccessToken string    `json:"access_token"`
	Expiry      time.Time `json:"expiry"`
}

// Resume implements connectors.Resumer: it reuses the access token of the
// last run while it has more than a minute to live.
func (c *Connector) Resume(_ context.Context, s string) error {
	var ss session
	if s == "" || json.Unmarshal([]byte(s), &ss) != nil || ss.AccessToken == "" || time.Until(ss.Expiry) < time.Minute {
		return nil
	}
	c.authorize(&oauth2.Token{AccessToken: ss.AccessToken, Expiry: ss.Expiry, TokenType: "Bearer", RefreshToken: c.refresh})
	return nil
}

// Session implements connectors.Resumer.
func (c *Connector) Session() string {
	c.mu.Lock()
	ts := c.ts
	c.mu.Unlock()
	tok, err := ts.Token()
	if err != nil || tok.AccessToken == "" || tok.Expiry.IsZero() {
		return ""
	}
	b, _ := json.Marshal(session{AccessToken: tok.AccessToken, Expiry: tok.Expiry})
	return string(b)
}

// Requests returns the API requests sent so far, by endpoint.
func (c *Connector) Requests() map[string]int64 { return c.c.Counts() }

// Capabilities implements connectors.Connector.
func (c *Connector) Capabilities() connectors.Capabilities {
	caps := capabilities()
	caps.ListingDelay = c.delay
	return caps
}

// Normalize implements connectors.Normalizer: what Google keeps of card
// (keep).
func (c *Connector) Normalize(card *mapping.Card) *mapping.Card { return keep(card) }

// remember keeps the last version of a person read or written, for
// updates (its sources and what the card cannot say).
func (c *Connector) remember(p *Person) {
	c.mu.Lock()
	c.seen[p.ResourceName] = p
	if k := recordKey(p); k != "" {
		c.keys[k] = p.ResourceName
	}
	c.mu.Unlock()
}

func (c *Connector) recall(rn string) *Person {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[rn]
}

// listResponse is connections.list's answer.
type listResponse struct {
	Connections   []*Person `json:"connections"`
	NextPageToken string    `json:"nextPageToken"`
	NextSyncToken string    `json:"nextSyncToken"`
}

// Changes implements connectors.Connector.
func (c *Connector) Changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	full := token == ""
	q := url.Values{
		"personFields":     {personFields},
		"pageSize":         {fmt.Sprint(c.pageSize)},
		"requestSyncToken": {"true"},
		"sources":          {"READ_SOURCE_TYPE_CONTACT"},
	}
	if !full {
		t, ok := strings.CutPrefix(token, syncPrefix)
		if !ok || t == "" {
			return "", fmt.Errorf("google: changes: not a sync token: %w", connectors.ErrTokenExpired)
		}
		q.Set("syncToken", t)
	}
	pages := 0
	for {
		var res listResponse
		err := c.c.do(ctx, "connections.list", http.MethodGet, "v1/people/me/connections", q, nil, &res)
		if err != nil {
			if !full && expired(err) {
				return "", fmt.Errorf("google: changes: %w: %w", connectors.ErrTokenExpired, err)
			}
			return "", err
		}
		page := connectors.Page{Full: full}
		for _, p := range res.Connections {
			page.Changes = append(page.Changes, c.change(ctx, p))
		}
		if len(page.Changes) > 0 || full && pages == 0 && res.NextPageToken == "" {
			if err := fn(page); err != nil {
				return "", err
			}
			pages++
		}
		if res.NextPageToken == "" {
			if res.NextSyncToken == "" {
				return "", connectors.Transient(errors.New("google: changes: the last page carries no sync token"))
			}
			return syncPrefix + res.NextSyncToken, nil
		}
		q.Set("pageToken", res.NextPageToken)
	}
}

// expired reports whether err says the sync token is no longer accepted
// (reference §1.3).
func expired(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.has("EXPIRED_SYNC_TOKEN") || ae.HTTPStatus == http.StatusGone ||
		ae.HTTPStatus == http.StatusBadRequest && strings.HasPrefix(ae.Message, "Sync token is expired")
}

// change turns a listed person into a change.
func (c *Connector) change(ctx context.Context, p *Person) connectors.Change {
	if p.Metadata != nil && p.Metadata.Deleted {
		return connectors.Change{Item: connectors.Item{ID: p.ResourceName}, Deleted: true}
	}
	ch := connectors.Change{Item: c.item(ctx, p)}
	if p.Metadata != nil {
		ch.PreviousIDs = p.Metadata.PreviousResourceNames
	}
	return ch
}

// item turns a person into an item, its card included (or Err).
func (c *Connector) item(ctx context.Context, p *Person) connectors.Item {
	c.remember(p)
	it := connectors.Item{ID: p.ResourceName, ETag: p.Etag, Key: recordKey(p)}
	card, err := toCard(p, c.groupNames())
	if errors.Is(err, errUnknownGroup) {
		if err = c.loadGroups(ctx, true); err == nil {
			card, err = toCard(p, c.groupNames())
		}
	}
	if err != nil {
		it.Err = &connectors.ItemError{ID: p.ResourceName, Err: err}
		return it
	}
	restoreUnmapped(card, p)
	if u := photoURL(p); u != "" {
		full := fullSize(u)
		data, kind, err := c.photo(ctx, full)
		if err != nil && full != u {
			data, kind, err = c.photo(ctx, u)
		}
		if err != nil {
			// Without its photo the contact would look as if the user had
			// removed it: leave it for the next run.
			it.Err = &connectors.ItemError{ID: p.ResourceName, Err: connectors.Transient(fmt.Errorf("read its photo: %w", err))}
			return it
		}
		setPhoto(card, kind, data)
	}
	it.Card = card
	return it
}

// fullSize asks a photo URL for the photo as uploaded: Google's URLs end in
// a size option ("=s100", reference §4) that serves a thumbnail, and "=s0"
// asks for the original size.
func fullSize(u string) string {
	i := strings.LastIndex(u, "=s")
	if i < 0 || i+2 == len(u) || strings.ContainsAny(u[i:], "/?#") {
		return u
	}
	for _, r := range u[i+2:] {
		if r < '0' || r > '9' {
			return u
		}
	}
	return u[:i] + "=s0"
}

// photo downloads a contact's photo.
func (c *Connector) photo(ctx context.Context, u string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	c.c.Count("photo")
	res, err := c.c.Client().Do(req)
	if err != nil {
		return nil, "", redactErr(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("photo: %s", res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return nil, "", err
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return data, "image/jpeg", nil
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return data, "image/png", nil
	}
	return nil, "", errors.New("photo: neither JPEG nor PNG")
}

// batchGetResponse is people.getBatchGet's answer.
type batchGetResponse struct {
	Responses []personResponse `json:"responses"`
}

// personResponse is one person of a batch answer.
type personResponse struct {
	Person                *Person `json:"person"`
	RequestedResourceName string  `json:"requestedResourceName"`
	HTTPStatusCode        int     `json:"httpStatusCode"`
	Status                *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
}

// failed returns the error a batch answer gives for one person, or nil.
func (r personResponse) failed() error {
	switch {
	case r.Status != nil && r.Status.Code == 5, r.HTTPStatusCode == http.StatusNotFound:
		return connectors.ErrNotFound
	case r.Status != nil && r.Status.Code == 9:
		return fmt.Errorf("%w: %s", connectors.ErrPreconditionFailed, r.Status.Message)
	case r.Status != nil && r.Status.Code != 0:
		return fmt.Errorf("google: status %d: %s", r.Status.Code, r.Status.Message)
	case r.Person == nil:
		return errors.New("google: the answer holds no person")
	}
	return nil
}

// Fetch implements connectors.Connector with people.getBatchGet, 200 at a
// time.
func (c *Connector) Fetch(ctx context.Context, ids []string, fn func(connectors.Item) error) error {
	for group := range slices.Chunk(ids, batchGetLimit) {
		got, err := c.batchGet(ctx, group)
		if err != nil {
			return err
		}
		for _, id := range group {
			r, ok := got[id]
			var it connectors.Item
			switch {
			case !ok:
				it = connectors.Item{ID: id, Err: fmt.Errorf("google: %s: %w", id, connectors.ErrNotFound)}
			case r.failed() != nil:
				it = connectors.Item{ID: id, Err: fmt.Errorf("google: %s: %w", id, r.failed())}
			default:
				it = c.item(ctx, r.Person)
				it.ID = id
			}
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// batchGet reads people by resource name, keyed by the name asked for.
func (c *Connector) batchGet(ctx context.Context, ids []string) (map[string]personResponse, error) {
	q := url.Values{"personFields": {personFields}, "resourceNames": ids, "sources": {"READ_SOURCE_TYPE_CONTACT"}}
	var res batchGetResponse
	if err := c.c.do(ctx, "people.batchGet", http.MethodGet, "v1/people:batchGet", q, nil, &res); err != nil {
		return nil, err
	}
	out := make(map[string]personResponse, len(res.Responses))
	for _, r := range res.Responses {
		name := r.RequestedResourceName
		if name == "" && r.Person != nil {
			name = r.Person.ResourceName
		}
		out[name] = r
	}
	return out, nil
}

// groupNames returns the group map toCard takes.
func (c *Connector) groupNames() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.groups
}

// groupIDs returns the name → resource name map fromCard takes: the user
// groups, and myContacts and starred. The deprecated system groups
// (friends, family, coworkers …) take no new members, so a category of
// the same name gets a user group of its own.
func (c *Connector) groupIDs() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]string, len(c.groups))
	for rn, name := range c.groups {
		if systemGroups[rn] && rn != groupMyContacts && rn != groupStarred {
			continue
		}
		out[name] = rn
	}
	return out
}

// loadGroups reads the contact groups once (again when force).
func (c *Connector) loadGroups(ctx context.Context, force bool) error {
	c.mu.Lock()
	have := c.groups != nil
	c.mu.Unlock()
	if have && !force {
		return nil
	}
	groups := map[string]string{}
	q := url.Values{"pageSize": {fmt.Sprint(groupPageSize)}, "groupFields": {"name,groupType"}}
	for {
		var res struct {
			ContactGroups []ContactGroup `json:"contactGroups"`
			NextPageToken string         `json:"nextPageToken"`
		}
		if err := c.c.do(ctx, "contactGroups.list", http.MethodGet, "v1/contactGroups", q, nil, &res); err != nil {
			return err
		}
		for _, g := range res.ContactGroups {
			if g.Metadata != nil && g.Metadata.Deleted {
				continue
			}
			groups[g.ResourceName] = g.Name
		}
		if res.NextPageToken == "" {
			break
		}
		q.Set("pageToken", res.NextPageToken)
	}
	c.mu.Lock()
	c.groups = groups
	c.mu.Unlock()
	return nil
}

// createGroups makes the user groups names (they are missing).
func (c *Connector) createGroups(ctx context.Context, names []string) error {
	for _, name := range names {
		var g ContactGroup
		body := map[string]any{"contactGroup": map[string]string{"name": name}}
		err := c.c.do(ctx, "contactGroups.create", http.MethodPost, "v1/contactGroups", nil, body, &g)
		var ae *APIError
		if errors.As(err, &ae) && ae.HTTPStatus == http.StatusConflict {
			// Made meanwhile (another client): read the groups again.
			if err := c.loadGroups(ctx, true); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("google: create contact group: %w", err)
		}
		c.mu.Lock()
		c.groups[g.ResourceName] = g.Name
		c.mu.Unlock()
	}
	return nil
}

// person converts card for writing, making the groups it names first.
func (c *Connector) person(ctx context.Context, card *mapping.Card) (*Person, error) {
	if err := c.loadGroups(ctx, false); err != nil {
		return nil, err
	}
	p, missing := fromCard(card, c.groupIDs())
	if len(missing) > 0 {
		if err := c.createGroups(ctx, missing); err != nil {
			return nil, err
		}
		p, missing = fromCard(card, c.groupIDs())
	}
	keepUnmapped(p, missing)
	return p, nil
}

// Create implements connectors.Connector (a batch of one).
func (c *Connector) Create(ctx context.Context, key string, card *mapping.Card) (connectors.Item, error) {
	r := c.WriteBatch(ctx, []connectors.Write{{Op: connectors.OpCreate, Key: key, Card: card}})
	return r[0].Item, r[0].Err
}

// Update implements connectors.Connector (a batch of one).
func (c *Connector) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	r := c.WriteBatch(ctx, []connectors.Write{{Op: connectors.OpUpdate, ID: id, ETag: etag, Card: card}})
	return r[0].Item, r[0].Err
}

// Delete implements connectors.Connector (a batch of one).
func (c *Connector) Delete(ctx context.Context, id, etag string) error {
	return c.WriteBatch(ctx, []connectors.Write{{Op: connectors.OpDelete, ID: id, ETag: etag}})[0].Err
}

// WriteBatch implements connectors.BatchWriter: creates and updates in
// requests of up to 200, deletes of up to 500, one request at a time.
func (c *Connector) WriteBatch(ctx context.Context, ws []connectors.Write) []connectors.WriteResult {
	out := make([]connectors.WriteResult, len(ws))
	var creates, updates, deletes []int
	for i, w := range ws {
		switch w.Op {
		case connectors.OpCreate:
			creates = append(creates, i)
		case connectors.OpUpdate:
			updates = append(updates, i)
		case connectors.OpDelete:
			deletes = append(deletes, i)
		default:
			out[i].Err = fmt.Errorf("google: unknown write op %d", w.Op)
		}
	}
	for g := range slices.Chunk(creates, batchWriteLimit) {
		c.creates(ctx, ws, g, out)
	}
	for g := range slices.Chunk(updates, batchWriteLimit) {
		c.updates(ctx, ws, g, out)
	}
	for g := range slices.Chunk(deletes, batchDelLimit) {
		c.deletes(ctx, ws, g, out)
	}
	return out
}

// creates sends one batchCreateContacts.
func (c *Connector) creates(ctx context.Context, ws []connectors.Write, idx []int, out []connectors.WriteResult) {
	type contact struct {
		ContactPerson *Person `json:"contactPerson"`
	}
	var body struct {
		Contacts []contact `json:"contacts"`
		ReadMask string    `json:"readMask"`
		Sources  []string  `json:"sources"`
	}
	body.ReadMask, body.Sources = personFields, []string{"READ_SOURCE_TYPE_CONTACT"}
	// Keys made before (a retried create): the contact they made is the
	// answer, if it is still there.
	var again []string
	made := map[string]int{}
	for _, i := range idx {
		c.mu.Lock()
		rn, ok := c.keys[ws[i].Key]
		c.mu.Unlock()
		if ok {
			again = append(again, rn)
			made[rn] = i
		}
	}
	done := map[int]bool{}
	if len(again) > 0 {
		got, err := c.batchGet(ctx, again)
		if err != nil {
			for _, i := range idx {
				out[i].Err = err
			}
			return
		}
		for rn, i := range made {
			if r, ok := got[rn]; ok && r.failed() == nil && recordKey(r.Person) == ws[i].Key {
				out[i].Item = c.item(ctx, r.Person)
				done[i] = true
			}
		}
	}
	photos := map[int][]byte{}
	var sent []int
	for _, i := range idx {
		if done[i] {
			continue
		}
		p, err := c.person(ctx, ws[i].Card)
		if err != nil {
			out[i].Err = err
			continue
		}
		if data, ok, err := photoBytes(p); ok && err == nil {
			photos[i] = data
		}
		p.Photos = nil
		setRecordKey(p, ws[i].Key)
		body.Contacts = append(body.Contacts, contact{p})
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		return
	}
	var res struct {
		CreatedPeople []personResponse `json:"createdPeople"`
	}
	if err := c.c.do(ctx, "people.batchCreateContacts", http.MethodPost, "v1/people:batchCreateContacts", nil, body, &res); err != nil {
		for _, i := range sent {
			out[i].Err = err
		}
		return
	}
	for k, i := range sent {
		if k >= len(res.CreatedPeople) {
			out[i].Err = connectors.Transient(errors.New("google: batchCreateContacts answered fewer people than sent"))
			continue
		}
		r := res.CreatedPeople[k]
		if err := r.failed(); err != nil {
			out[i].Err = fmt.Errorf("google: create: %w", err)
			continue
		}
		p := r.Person
		if data, ok := photos[i]; ok {
			if np, err := c.setPhoto(ctx, p.ResourceName, data); err != nil {
				c.c.log.Warn("google: photo not written", "remote_id", p.ResourceName, "err", err)
			} else if np != nil {
				p = np
			}
		}
		c.remember(p)
		out[i].Item = c.writtenItem(p, ws[i].Card)
	}
}

// writtenItem is the item a write leaves: the person Google answered,
// with the card Google made of the write — what it keeps of parameters
// and values it cannot store (a PREF on a first value, TYPE=voice) — so
// that the next listing of the unchanged contact does not look like an
// edit. The photo is the one written: Google's answer holds only its URL.
func (c *Connector) writtenItem(p *Person, sent *mapping.Card) connectors.Item {
	it := connectors.Item{ID: p.ResourceName, ETag: p.Etag, Key: recordKey(p)}
	card, err := toCard(p, c.groupNames())
	if err != nil || sent == nil {
		return it // the bridge compares with what it sent
	}
	restoreUnmapped(card, p)
	card.Remove("PHOTO")
	if photoURL(p) != "" {
		// As a listing will show it: the bytes, typed by their magic.
		if ph := sent.Get("PHOTO"); ph != nil {
			if data, ok, err := photoBytes(&Person{Photos: []Photo{{URL: ph.Text()}}}); ok && err == nil {
				setPhoto(card, photoType(data), data)
			}
		}
	}
	it.Card = card
	return it
}

// setPhoto uploads a contact's photo and returns the person after it.
func (c *Connector) setPhoto(ctx context.Context, rn string, data []byte) (*Person, error) {
	body := map[string]any{"photoBytes": data, "personFields": personFields, "sources": []string{"READ_SOURCE_TYPE_CONTACT"}}
	var res struct {
		Person *Person `json:"person"`
	}
	if err := c.c.do(ctx, "people.updateContactPhoto", http.MethodPatch, "v1/"+rn+":updateContactPhoto", nil, body, &res); err != nil {
		return nil, err
	}
	return res.Person, nil
}

// deletePhoto removes a contact's photo and returns the person after it.
func (c *Connector) deletePhoto(ctx context.Context, rn string) (*Person, error) {
	var res struct {
		Person *Person `json:"person"`
	}
	q := url.Values{"personFields": {personFields}, "sources": {"READ_SOURCE_TYPE_CONTACT"}}
	if err := c.c.do(ctx, "people.deleteContactPhoto", http.MethodDelete, "v1/"+rn+":deleteContactPhoto", q, nil, &res); err != nil {
		return nil, err
	}
	return res.Person, nil
}

// updates sends one batchUpdateContacts for the writes idx, after reading
// the people the connector has not seen in this run (one batchGet).
func (c *Connector) updates(ctx context.Context, ws []connectors.Write, idx []int, out []connectors.WriteResult) {
	var unknown []string
	for _, i := range idx {
		if p := c.recall(ws[i].ID); p == nil || p.Etag != ws[i].ETag {
			unknown = append(unknown, ws[i].ID)
		}
	}
	if len(unknown) > 0 {
		got, err := c.batchGet(ctx, unknown)
		if err != nil {
			for _, i := range idx {
				out[i].Err = err
			}
			return
		}
		for _, r := range got {
			if r.failed() == nil {
				c.remember(r.Person)
			}
		}
	}
	contacts := map[string]*Person{}
	masks := map[string]bool{}
	type photoChange struct {
		data   []byte
		remove bool
	}
	photos := map[int]photoChange{}
	var sent []int
	for _, i := range idx {
		w := ws[i]
		old := c.recall(w.ID)
		switch {
		case old == nil:
			out[i].Err = fmt.Errorf("google: update %s: %w", w.ID, connectors.ErrNotFound)
			continue
		case old.Etag != w.ETag:
			out[i].Err = fmt.Errorf("google: update %s: %w", w.ID, connectors.ErrPreconditionFailed)
			continue
		}
		p, err := c.person(ctx, w.Card)
		if err != nil {
			out[i].Err = err
			continue
		}
		newPhoto, hasPhoto, perr := photoBytes(p)
		oldPhoto := photoURL(old) != ""
		switch {
		case hasPhoto && perr == nil:
			photos[i] = photoChange{data: newPhoto}
		case !hasPhoto && oldPhoto:
			photos[i] = photoChange{remove: true}
		}
		p.Photos = nil
		unmapped := slices.DeleteFunc(slices.Clone(p.ClientData), func(d ClientData) bool { return d.Key != clientKeyCategories })
		carryOver(old, p)
		p.ClientData = append(slices.DeleteFunc(p.ClientData, func(d ClientData) bool { return d.Key == clientKeyCategories }), unmapped...)
		mask := updateMask(old, p)
		if len(mask) == 0 {
			out[i].Item = c.writtenItem(old, w.Card)
			continue
		}
		for _, f := range mask {
			masks[f] = true
		}
		contacts[w.ID] = p
		sent = append(sent, i)
	}
	if len(sent) > 0 {
		// One mask for the batch: the union. A field in it that a person
		// did not change is sent as it was, so replacing it changes nothing.
		var mask []string
		for f := range masks {
			mask = append(mask, f)
		}
		slices.Sort(mask)
		body := map[string]any{"contacts": contacts, "updateMask": strings.Join(mask, ","),
			"readMask": personFields, "sources": []string{"READ_SOURCE_TYPE_CONTACT"}}
		var res struct {
			UpdateResult map[string]personResponse `json:"updateResult"`
		}
		if err := c.c.do(ctx, "people.batchUpdateContacts", http.MethodPost, "v1/people:batchUpdateContacts", nil, body, &res); err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.HTTPStatus == http.StatusBadRequest && ae.Status == "FAILED_PRECONDITION" {
				err = fmt.Errorf("%w: %w", connectors.ErrPreconditionFailed, err)
			}
			for _, i := range sent {
				out[i].Err = err
			}
			return
		}
		for _, i := range sent {
			r, ok := res.UpdateResult[ws[i].ID]
			if !ok {
				out[i].Err = connectors.Transient(errors.New("google: batchUpdateContacts did not answer for this contact"))
				continue
			}
			if err := r.failed(); err != nil {
				out[i].Err = fmt.Errorf("google: update %s: %w", ws[i].ID, err)
				continue
			}
			c.remember(r.Person)
			out[i].Item = c.writtenItem(r.Person, ws[i].Card)
		}
	}
	for i, ph := range photos {
		if out[i].Err != nil {
			continue
		}
		rn := ws[i].ID
		var np *Person
		var err error
		if ph.remove {
			np, err = c.deletePhoto(ctx, rn)
		} else {
			np, err = c.setPhoto(ctx, rn, ph.data)
		}
		if err != nil {
			c.c.log.Warn("google: photo not written", "remote_id", rn, "err", err)
			continue
		}
		if np != nil {
			c.remember(np)
			out[i].Item = c.writtenItem(np, ws[i].Card)
		}
	}
}

// deletes sends one batchDeleteContacts. Google takes no etag there: the
// etag is checked against the person last read, which is the best the API
// allows.
func (c *Connector) deletes(ctx context.Context, ws []connectors.Write, idx []int, out []connectors.WriteResult) {
	var names []string
	var sent []int
	for _, i := range idx {
		if p := c.recall(ws[i].ID); p != nil && ws[i].ETag != "" && p.Etag != ws[i].ETag {
			out[i].Err = fmt.Errorf("google: delete %s: %w", ws[i].ID, connectors.ErrPreconditionFailed)
			continue
		}
		names = append(names, ws[i].ID)
		sent = append(sent, i)
	}
	if len(names) == 0 {
		return
	}
	body := map[string]any{"resourceNames": names}
	err := c.c.do(ctx, "people.batchDeleteContacts", http.MethodPost, "v1/people:batchDeleteContacts", nil, body, nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound {
		err = fmt.Errorf("google: delete: %w: %w", connectors.ErrNotFound, err)
	}
	for _, i := range sent {
		out[i].Err = err
		if err == nil {
			c.mu.Lock()
			delete(c.seen, ws[i].ID)
			c.mu.Unlock()
		}
	}
}
