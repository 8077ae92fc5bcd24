// Package googletest is an in-process fake of the Google People API (the
// contacts part) and of Google's OAuth 2.0 token endpoint, for testing the
// Google connector without reaching Google.
//
// It follows the project's Google People API reference (google-people.md;
// section numbers in comments point into it) to the letter rather than
// being convenient: URL shapes with the ":verb" suffix, required field masks, JSON
// field names checked against the discovery document (an unknown or
// misspelt field is a 400, as at Google), page and sync tokens bound to the
// parameters of the call that produced them, sync tokens that expire with
// Google's exact error body, deletions reported only to sync requests,
// etags that change on every write and are checked on update, batch limits,
// writes that reach listings only after a propagation delay, generated
// default avatars flagged default: true, 429 RESOURCE_EXHAUSTED quota
// errors, and access tokens that expire after an hour on an injected clock.
//
// A Server listens on a random 127.0.0.1 port, like httptest.Server. Each
// account is a User, reached by presenting its refresh token at TokenURL and
// the access token obtained there as "Authorization: Bearer". Tests seed and
// edit an account's contacts directly through User (as the user would on
// their phone) and flip failure knobs on Server.
package googletest

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value is Google's documented
// behaviour with a real-time clock.
type Options struct {
	// Clock is the time source for everything time-based: access-token and
	// sync-token expiry, propagation delay, quota windows, updateTime.
	// Nil means time.Now.
	Clock func() time.Time

	// PageSize is the page size connections.list uses when the request
	// gives none (reference §1: 100). It is capped at 1000, the largest
	// pageSize the API accepts.
	PageSize int

	// SyncTokenTTL is how long a sync token stays valid (reference §0:
	// 7 days). Zero means 7 days.
	SyncTokenTTL time.Duration
	// SyncTokenTTLFromFullSync, when set, makes the TTL count from the full
	// sync a chain of incremental tokens started from, the literal reading
	// of "expire 7 days after the full sync". By default each token is
	// valid for SyncTokenTTL after it was issued (reference §1.3 says which
	// is true is undocumented).
	SyncTokenTTLFromFullSync bool
	// ExpiredSyncTokenHTTPStatus and ExpiredSyncTokenStatus shape the
	// expired-sync-token error. Zero values give what clients actually get
	// (HTTP 400, FAILED_PRECONDITION, reference §1.3); 410 reproduces the
	// older documentation and "INVALID_ARGUMENT" the one captured variant.
	ExpiredSyncTokenHTTPStatus int
	ExpiredSyncTokenStatus     string

	// ReadAfterWrite is the propagation delay: a write becomes visible to
	// connections.list (full and incremental) only this long after it was
	// made, while people.get and getBatchGet see it at once (reference
	// §10.3). Zero makes writes visible at once.
	ReadAfterWrite time.Duration

	// BatchUpdateAtomic makes batchUpdateContacts fail as a whole (HTTP 400
	// FAILED_PRECONDITION, nothing written) when one contact's etag is
	// stale or one contact is missing. By default each such contact gets
	// its own PersonResponse.status and the others are written (reference
	// §10.5).
	BatchUpdateAtomic bool

	// RekeyOnEmailChange gives a contact a new resource name whenever an
	// update changes its set of email addresses, as Google does when a
	// field that links a contact to a profile changes (reference §1.2,
	// §10.1). User.Rename does the same on demand.
	RekeyOnEmailChange bool
	// RenameLeavesTombstone makes a re-keyed contact also appear under its
	// old resource name as deleted in sync responses. By default it only
	// appears under its new name with metadata.previousResourceNames.
	RenameLeavesTombstone bool

	// Quota sets per-user rate limits (reference §5, §10.6). The zero value
	// has no limits.
	Quota Quota

	// ConcurrentWriteStatus, when non-zero, answers a write that arrives
	// while another write for the same user is in progress with this HTTP
	// status (429 or 503, reference §10.7). By default such writes wait
	// their turn: mutations for one user are serialised.
	ConcurrentWriteStatus int
	// WriteLatency is real time each write takes, so that overlapping
	// writes can be provoked in tests.
	WriteLatency time.Duration
	// OnRequest, when set, is called with the endpoint name (as Requests
	// counts it) of every request as its handling starts, before it is
	// applied: a crash test kills its client there, so that the write
	// happens and its answer is lost.
	OnRequest func(endpoint string)

	// ClientID and ClientSecret, when set, are the only OAuth client
	// credentials the token endpoint accepts. Otherwise any non-empty
	// client_id is accepted.
	ClientID     string
	ClientSecret string
	// RefreshTokenTTL, when set, makes refresh tokens stop working this
	// long after AddUser (an app in "Testing" status: 7 days, reference
	// §8): the token endpoint then answers invalid_grant.
	RefreshTokenTTL time.Duration

	// MaxPhotoBytes, when set, refuses larger updateContactPhoto uploads
	// with 400 (Google documents no limit, reference §4).
	MaxPhotoBytes int
}

// Quota holds per-user limits per minute (per day for ContactWritesPerDay),
// counted in the units of reference §5; zero means unlimited. A request that
// would go over any of them is answered 429 RESOURCE_EXHAUSTED with the
// QuotaFailure body and no Retry-After, and is not counted.
type Quota struct {
	// CriticalReadsPerMinute: one per connections.list page, people.get and
	// getBatchGet, one per createContact/updateContact, six per
	// batchCreateContacts/batchUpdateContacts.
	CriticalReadsPerMinute int
	// CriticalWritesPerMinute: one per createContact/updateContact, six per
	// batchCreateContacts/batchUpdateContacts.
	CriticalWritesPerMinute int
	// DeletesAndGroupWritesPerMinute: one per deleteContact and contact
	// group write, ten per batchDeleteContacts.
	DeletesAndGroupWritesPerMinute int
	// GroupReadsPerMinute: one per contactGroups list, get and batchGet.
	GroupReadsPerMinute int
	// PhotoWritesPerMinute: one per updateContactPhoto/deleteContactPhoto.
	PhotoWritesPerMinute int
	// FullSyncFirstPagesPerMinute: the separate, fixed quota on the first
	// page of a full connections.list (reference §1).
	FullSyncFirstPagesPerMinute int
	// ContactWritesPerDay: one per contact created or updated.
	ContactWritesPerDay int
}

// A Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	hs   *httptest.Server

	mu       sync.Mutex
	users    map[string]*User // by refresh token
	byID     map[string]*User
	tokens   map[string]*accessToken
	codes    map[string]*authCode
	requests map[string]int
	syncGen  int // ExpireSyncTokens bumps it; older tokens are expired
	failN    int
	failCode int
	failWait time.Duration
	nextUser int
	// photoStore holds uploaded photos by the key in their URL.
	photoStore map[string]photoBlob
	// inflight counts the requests being handled; idle (on mu) is
	// signalled when it drops to zero (Quiesce).
	inflight int
	idle     *sync.Cond
}

// New starts a Server on a random 127.0.0.1 port. Call Close when done.
func New(opts Options) *Server {
	if opts.PageSize <= 0 {
		opts.PageSize = defaultPageSize
	}
	opts.PageSize = min(opts.PageSize, maxPageSize)
	if opts.SyncTokenTTL <= 0 {
		opts.SyncTokenTTL = 7 * 24 * time.Hour
	}
	s := &Server{
		opts:     opts,
		users:    map[string]*User{},
		byID:     map[string]*User{},
		tokens:   map[string]*accessToken{},
		codes:    map[string]*authCode{},
		requests: map[string]int{},

		photoStore: map[string]photoBlob{},
	}
	s.idle = sync.NewCond(&s.mu)
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// URL is the API endpoint base with a trailing slash, such as
// "http://127.0.0.1:41234/"; clients append "v1/…" as they do to
// "https://people.googleapis.com/".
func (s *Server) URL() string { return s.hs.URL + "/" }

// TokenURL is the OAuth 2.0 token endpoint, the fake's
// "https://oauth2.googleapis.com/token".
func (s *Server) TokenURL() string { return s.hs.URL + "/token" }

// Client returns an HTTP client with no credentials, for reaching URL and
// TokenURL.
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() { s.hs.Close() }

func (s *Server) now() time.Time {
	if s.opts.Clock != nil {
		return s.opts.Clock()
	}
	return time.Now()
}

// Fail makes the next n API requests (under /v1/, after authentication)
// answer status with Google's error body for it — for 429 the
// RESOURCE_EXHAUSTED QuotaFailure body of reference §5 — and, when
// retryAfter > 0, a Retry-After header in whole seconds (Google sends none;
// this exercises clients that honour one). Token requests are not affected.
func (s *Server) Fail(n int, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode, s.failWait = n, status, retryAfter
}

// ExpireAccessTokens makes every access token issued so far answer 401
// UNAUTHENTICATED, as Google does once an access token has expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// ExpireSyncTokens makes every sync token issued so far (for contacts and
// for contact groups) expired, answering the error of reference §1.3.
func (s *Server) ExpireSyncTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncGen++
}

// Requests counts the requests received so far by endpoint: the People API
// method names "connections.list", "get", "getBatchGet", "createContact",
// "updateContact", "deleteContact", "batchCreateContacts",
// "batchUpdateContacts", "batchDeleteContacts", "updateContactPhoto",
// "deleteContactPhoto", "contactGroups.list", "contactGroups.get",
// "contactGroups.batchGet", "contactGroups.create", "contactGroups.update",
// "contactGroups.delete", "contactGroups.members.modify"; "token" for the
// token endpoint and "photo" for photo downloads. Requests refused for
// authentication, quota or Fail are counted too.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.requests)
}

func (s *Server) count(endpoint string) {
	s.mu.Lock()
	s.requests[endpoint]++
	s.mu.Unlock()
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(endpoint)
	}
}

// Quiesce waits until no request is being handled: every write the fake
// has started is applied (after a client that sent it was killed, say).
func (s *Server) Quiesce() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inflight > 0 {
		s.idle.Wait()
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inflight++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		if s.inflight == 0 {
			s.idle.Broadcast()
		}
		s.mu.Unlock()
	}()
	switch p := r.URL.Path; {
	case p == "/token":
		s.count("token")
		s.token(w, r)
	case strings.HasPrefix(p, photoPath):
		s.count("photo")
		s.photo(w, r)
	case strings.HasPrefix(p, "/v1/"):
		s.api(w, r)
	default:
		notFoundPage(w, r)
	}
}

// notFoundPage is what Google's front end answers for a URL no API method
// maps to: an HTML page, not a JSON error.
func notFoundPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title>" +
		"<p><b>404.</b> <ins>That’s an error.</ins><p>The requested URL <code>" +
		htmlEscape(r.URL.Path) + "</code> was not found on this server. <ins>That’s all we know.</ins>\n"))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// An endpoint is one API method: its name (for Requests), whether it
// mutates (writes are serialised per user) and its handler.
type endpoint struct {
	name  string
	write bool
	h     func(w http.ResponseWriter, r *http.Request, c *call) *apiError
}

// A call is one authenticated request being served.
type call struct {
	u        *User
	resource string // the {resourceName} of the path, if any
}

// route maps a method and path under /v1/ to an endpoint. Resource verbs
// come after a colon in the last segment ("people/c1:updateContact").
func (s *Server) route(method, rest string) (endpoint, string, bool) {
	verb := ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i:], "/") {
		rest, verb = rest[:i], rest[i+1:]
	}
	seg := strings.Split(rest, "/")
	type key struct{ method, verb string }
	k := key{method, verb}
	switch {
	case rest == "people":
		switch k {
		case key{"GET", "batchGet"}:
			return endpoint{"getBatchGet", false, s.getBatchGet}, "", true
		case key{"POST", "createContact"}:
			return endpoint{"createContact", true, s.createContact}, "", true
		case key{"POST", "batchCreateContacts"}:
			return endpoint{"batchCreateContacts", true, s.batchCreateContacts}, "", true
		case key{"POST", "batchUpdateContacts"}:
			return endpoint{"batchUpdateContacts", true, s.batchUpdateContacts}, "", true
		case key{"POST", "batchDeleteContacts"}:
			return endpoint{"batchDeleteContacts", true, s.batchDeleteContacts}, "", true
		}
	case len(seg) == 3 && seg[0] == "people" && seg[1] != "" && seg[2] == "connections":
		if k == (key{"GET", ""}) {
			return endpoint{"connections.list", false, s.listConnections}, seg[0] + "/" + seg[1], true
		}
	case len(seg) == 2 && seg[0] == "people" && seg[1] != "":
		name := rest
		switch k {
		case key{"GET", ""}:
			return endpoint{"get", false, s.getPerson}, name, true
		case key{"PATCH", "updateContact"}:
			return endpoint{"updateContact", true, s.updateContact}, name, true
		case key{"DELETE", "deleteContact"}:
			return endpoint{"deleteContact", true, s.deleteContact}, name, true
		case key{"PATCH", "updateContactPhoto"}:
			return endpoint{"updateContactPhoto", true, s.updateContactPhoto}, name, true
		case key{"DELETE", "deleteContactPhoto"}:
			return endpoint{"deleteContactPhoto", true, s.deleteContactPhoto}, name, true
		}
	case rest == "contactGroups":
		switch k {
		case key{"GET", ""}:
			return endpoint{"contactGroups.list", false, s.listGroups}, "", true
		case key{"POST", ""}:
			return endpoint{"contactGroups.create", true, s.createGroup}, "", true
		case key{"GET", "batchGet"}:
			return endpoint{"contactGroups.batchGet", false, s.batchGetGroups}, "", true
		}
	case len(seg) == 2 && seg[0] == "contactGroups" && seg[1] != "":
		switch k {
		case key{"GET", ""}:
			return endpoint{"contactGroups.get", false, s.getGroup}, rest, true
		case key{"PUT", ""}:
			return endpoint{"contactGroups.update", true, s.updateGroup}, rest, true
		case key{"DELETE", ""}:
			return endpoint{"contactGroups.delete", true, s.deleteGroup}, rest, true
		}
	case len(seg) == 3 && seg[0] == "contactGroups" && seg[1] != "" && seg[2] == "members":
		if k == (key{"POST", "modify"}) {
			return endpoint{"contactGroups.members.modify", true, s.modifyMembers}, seg[0] + "/" + seg[1], true
		}
	}
	return endpoint{}, "", false
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	ep, resource, ok := s.route(r.Method, strings.TrimPrefix(r.URL.Path, "/v1/"))
	if !ok {
		notFoundPage(w, r)
		return
	}
	s.count(ep.name)
	u, aerr := s.authenticate(r)
	if aerr == nil {
		aerr = s.injectedFailure()
	}
	if aerr != nil {
		aerr.write(w)
		return
	}
	c := &call{u: u, resource: resource}
	if ep.write {
		unlock, werr := s.lockWrites(u)
		if werr != nil {
			werr.write(w)
			return
		}
		defer unlock()
	}
	if err := ep.h(w, r, c); err != nil {
		err.write(w)
	}
}

// injectedFailure consumes one failure armed by Fail.
func (s *Server) injectedFailure() *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN <= 0 {
		return nil
	}
	s.failN--
	e := statusError(s.failCode)
	e.header = retryAfter(s.failWait)
	return e
}

// lockWrites serialises the mutations of one user (reference §2: "Mutate
// requests for the same user should be sent sequentially"). With
// ConcurrentWriteStatus set, an overlapping write is refused instead.
func (s *Server) lockWrites(u *User) (func(), *apiError) {
	if s.opts.ConcurrentWriteStatus != 0 {
		if !u.writeMu.TryLock() {
			return nil, statusError(s.opts.ConcurrentWriteStatus)
		}
	} else {
		u.writeMu.Lock()
	}
	if s.opts.WriteLatency > 0 {
		time.Sleep(s.opts.WriteLatency)
	}
	return u.writeMu.Unlock, nil
}
