// Package graphtest is an in-process fake of the Microsoft Graph endpoints
// the Outlook connector uses (personal contacts in contact folders, delta
// query, photos, JSON batching, extended properties, master categories) and
// of the Microsoft identity platform token and device-code endpoints, for
// testing the connector without reaching Microsoft.
//
// It follows the project's Microsoft Graph reference (microsoft-graph.md;
// section numbers in comments point into it) to the letter rather than
// being convenient: full contacts with null and empty values exactly where
// Graph puts them, unknown or beta-only properties refused, a changeKey and
// @odata.etag that change on every write, If-Match answered 412
// ErrorIrresolvableConflict, displayName regenerated on PATCH unless sent,
// item ids that change when a contact moves between folders unless the
// request says Prefer: IdType="ImmutableId", delta rounds with absolute
// nextLink/deltaLink URLs, empty pages, @removed entries, replays and lost
// sync state answered 410 SyncStateNotFound, $batch limits and per-item
// throttling, the four-concurrent-requests-per-mailbox limit, refresh
// tokens that rotate on every use and access tokens that expire after an
// hour on an injected clock. What the reference marks unverified ([U]) is a
// knob in Options, defaulting to the stricter reading.
//
// A Server listens on a random 127.0.0.1 port, like httptest.Server. Graph
// is under URL (the fake's https://graph.microsoft.com/v1.0), the identity
// platform under TokenURL and DeviceAuthURL. Each mailbox is a User, reached
// with an access token obtained at TokenURL from its refresh token or
// through the device-code flow (ApproveDevice). Tests seed and edit a
// mailbox directly through User (as the person would in Outlook or on their
// phone) and flip failure knobs on Server.
package graphtest

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value is the reference's documented
// behaviour, the stricter reading where it is unverified, and a real-time
// clock.
type Options struct {
	// Clock is the time source for everything time-based: token expiry,
	// delta-token lifetime, replication delay, throttling windows,
	// createdDateTime and lastModifiedDateTime. Nil means time.Now.
	Clock func() time.Time

	// PageSize is the page size of plain listings of contacts and contact
	// folders when the request gives neither $top nor Prefer:
	// odata.maxpagesize (reference §7: 10 [U]). Capped at 1000.
	PageSize int
	// DeltaPageSize is the delta page size when the request has no Prefer:
	// odata.maxpagesize. Zero means 200: the same number applies when the
	// header is absent, and larger requests are capped at 200 (reference §3).
	DeltaPageSize int
	// DeltaEmptyPages makes every other delta page, starting with the
	// first, come back empty with an @odata.nextLink, as the server may
	// return fewer items than asked (internal timeout, reference §3).
	DeltaEmptyPages bool
	// ReplicationDelay is how long a write takes to reach delta query
	// (reference §3, §10.2: no read-after-write via delta). GET and plain
	// listings see writes at once. Zero makes writes visible at once.
	ReplicationDelay time.Duration

	// DeltaTokenTTL, when set, makes delta and skip tokens lost this long
	// after they were issued. The reference says the lifetime is not fixed
	// (§3); by default tokens are lost only through DeltaTokenCache or
	// Server.ExpireDeltaTokens.
	DeltaTokenTTL time.Duration
	// DeltaTokenCache, when set, keeps only the newest N delta tokens of a
	// folder valid, like the internal delta-token cache of reference §3:
	// older ones answer the lost-sync-state error.
	DeltaTokenCache int
	// DeltaLossStatus and DeltaLossCode shape the lost-sync-state error.
	// Zero values give the recorded payload: 410 Gone, SyncStateNotFound
	// (reference §3). "resyncRequired" and "syncStateNotFound" are the
	// documented variants; the reference says "a 40x error".
	DeltaLossStatus int
	DeltaLossCode   string
	// DeltaLossLocation adds the Location header of reference §3 to the
	// lost-sync-state error: the same delta request with an empty
	// $deltatoken, which starts an initial round.
	DeltaLossLocation bool
	// ReplayDelta makes every round started from a deltaLink deliver the
	// changes of the round that produced the link again, besides the new
	// ones (reference §3: "rounds may replay items"). Server.ReplayDelta
	// does it once.
	ReplayDelta bool
	// ReplayPages delivers every page of a delta round except the last
	// twice in a row: a page's nextLink first leads to the same changes
	// again (reference §3: "The same item may appear more than once").
	ReplayPages bool
	// MovedOutReason is the @removed reason delta reports in a folder a
	// contact was moved out of: "changed" (the default: "or left the
	// tracked scope") or "deleted". Reference §3 marks this [U].
	MovedOutReason string
	// DeleteReason is the @removed reason for a contact deleted through
	// the API: "deleted" (the default) or "changed", as for an item moved
	// to Deleted Items (unverified: the reference only says DELETE answers
	// 204).
	DeleteReason string

	// DisplayName says when PATCH regenerates displayName from the name
	// parts (reference §1, §10.4). The default regenerates it on every
	// PATCH whose body has no displayName.
	DisplayName DisplayNameRule
	// IgnoreIfMatch makes PATCH and DELETE ignore If-Match, as the
	// contact-update page documents none (reference §4). By default a
	// stale If-Match is answered 412 ErrorIrresolvableConflict, as on
	// other Outlook items.
	IgnoreIfMatch bool
	// StableIDs makes ids survive folder moves even without Prefer:
	// IdType="ImmutableId" (reference §10.3 knob). By default the
	// non-immutable id of a contact changes when it moves and the old one
	// answers 404.
	StableIDs bool
	// Caps are the Outlook slots of reference §2.1 and §10.6 [U].
	Caps Caps
	// AutoAddCategories adds category names used on a contact that are
	// not in the master category list to it (reference §10.10 [U]). By
	// default unknown names are kept on the contact only.
	AutoAddCategories bool
	// ListDefaultFolder makes GET /me/contactFolders (and the folder delta)
	// include the default Contacts folder. By default they list the
	// folders under it only; the default folder is reached by its id or
	// the well-known name "contacts" (reference §1) [U].
	ListDefaultFolder bool
	// ExpandAllExtendedProperties lets $expand=singleValueExtendedProperties
	// without a $filter return every single-value extended property. By
	// default that is refused: the documented way is $expand with a
	// $filter on id.
	ExpandAllExtendedProperties bool

	// MaxPhotoBytes is the largest photo PUT accepts. Zero means 4 MB
	// (reference §1).
	MaxPhotoBytes int
	// PhotoTooLargeStatus is the answer to a larger photo: 413 (the
	// default) or 400 (reference §10.9 [U]).
	PhotoTooLargeStatus int
	// PhotoContentTypes are the Content-Types photo PUT accepts. Nil means
	// image/jpeg only, the one the reference documents.
	PhotoContentTypes []string
	// PhotoDelete lets DELETE …/photo/$value remove a photo (204). The
	// reference documents no way to remove one, so by default it is
	// answered 405.
	PhotoDelete bool

	// BatchInOrder returns $batch responses in request order. By default
	// they come back in reverse order, which the reference allows ("in any
	// order", §5), so that clients must match them by id.
	BatchInOrder bool
	// SerialBatchItems runs the independent requests of a batch one at a
	// time, never refusing one for concurrency. By default they run
	// together and each takes a concurrency slot of the mailbox, so that
	// past four the rest get 429 ApplicationThrottled (reference §5, §6).
	SerialBatchItems bool

	// ConcurrentRequests is the number of requests one app may have in
	// flight on one mailbox (reference §6: 4). Negative means no limit.
	ConcurrentRequests int
	// ConcurrencyStatus is the status of a request over that limit: 429
	// (the default, reference §6) or 503, as some clients report.
	ConcurrencyStatus int
	// ConcurrencyRetryAfter is the Retry-After sent with it. Zero means
	// one second.
	ConcurrencyRetryAfter time.Duration
	// RateLimit is the number of requests per RateWindow one app may make
	// on one mailbox (reference §6: 10,000 per 10 minutes); past it
	// requests get 429 TooManyRequests with Retry-After. Negative means no
	// limit.
	RateLimit  int
	RateWindow time.Duration
	// UploadLimit is the number of request-body bytes of PATCH, POST and
	// PUT one app may send to one mailbox per UploadWindow (reference §6:
	// 150 MB per 5 minutes). Negative means no limit.
	UploadLimit  int64
	UploadWindow time.Duration

	// OnRequest, when set, is called with the endpoint name (as Requests
	// counts it) of every Graph request, and of every request inside a
	// batch, once it has been admitted (authenticated, not throttled,
	// holding its concurrency slot) and before it is applied. A test can
	// block there to hold a slot, or kill its client there so that the
	// write happens and its answer is lost. Refused requests never reach
	// it.
	OnRequest func(endpoint string)

	// ClientID, when set, is the only application id the token endpoints
	// accept. Otherwise any non-empty client_id is accepted.
	ClientID string
	// ClientSecret, when set, must accompany every token request, as for a
	// confidential client.
	ClientSecret string
	// PublicClientFlowsDisabled reproduces an app registration without
	// "Allow public client flows": token requests without a client secret
	// fail with AADSTS7000218 invalid_client (reference §8.1).
	PublicClientFlowsDisabled bool
	// OldRefreshTokensStayValid keeps a refresh token usable after it has
	// been exchanged. By default each refresh returns a new refresh token
	// and the old one stops working (reference §8.3: "a lost rotation
	// means re-authorisation").
	OldRefreshTokensStayValid bool
	// RefreshTokenTTL is how long an unused refresh token stays valid.
	// Zero means 90 days (reference §8.3).
	RefreshTokenTTL time.Duration
	// DeviceCodeTTL is the device-code lifetime (expires_in). Zero means
	// 15 minutes (reference §8.1).
	DeviceCodeTTL time.Duration
	// DevicePollInterval is the interval the device-code response asks
	// for, in whole seconds. Zero means 5 seconds.
	DevicePollInterval time.Duration
	// EnforcePollInterval answers slow_down to a device-code poll that
	// comes sooner than the interval after the previous one, on Clock.
	// The identity platform documents no slow_down (reference §8.1), so
	// by default polls are never refused for speed; SlowDownDevice sends
	// one on demand.
	EnforcePollInterval bool
}

// DisplayNameRule says when PATCH regenerates a contact's displayName from
// its name parts (reference §1: "Later updates can overwrite a client-set
// displayName with a generated one").
type DisplayNameRule int

const (
	// DisplayNameRegenerated regenerates displayName on every PATCH whose
	// body lacks it, when the name parts give one.
	DisplayNameRegenerated DisplayNameRule = iota
	// DisplayNameOnNameChange regenerates it only when the PATCH changes a
	// name part (title, givenName, middleName, surname, generation).
	DisplayNameOnNameChange
	// DisplayNameKept never regenerates it on PATCH.
	DisplayNameKept
)

// String names the rule, as its constant does.
func (r DisplayNameRule) String() string {
	switch r {
	case DisplayNameRegenerated:
		return "DisplayNameRegenerated"
	case DisplayNameOnNameChange:
		return "DisplayNameOnNameChange"
	case DisplayNameKept:
		return "DisplayNameKept"
	}
	return "DisplayNameRule(" + strconv.Itoa(int(r)) + ")"
}

// Caps are the per-contact slots Outlook has (reference §2.1, §10.6, all
// [U]). Zero values mean the reference's numbers; negative means no cap.
type Caps struct {
	Emails         int // 3 (Email1–Email3)
	BusinessPhones int // 2
	HomePhones     int // 2
	// Reject answers a write over a cap with 400 instead of keeping the
	// first values and dropping the rest silently.
	Reject bool
}

// A Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	hs   *httptest.Server
	base string // http://127.0.0.1:port

	mu          sync.Mutex
	users       map[string]*User // by user id
	refresh     map[string]*refreshToken
	access      map[string]*accessToken
	devices     map[string]*deviceAuth // by device_code
	codes       map[string]*authCode
	deltaTokens map[string]*deltaState
	deltaEpoch  int // ExpireDeltaTokens bumps it; older tokens are lost
	requests    map[string]int
	fail        failure // Fail
	failItems   failure // FailBatchItems
	nextUser    int
	// inflight counts the requests being handled; idle (on mu) is
	// signalled when it drops to zero (Quiesce).
	inflight int
	idle     *sync.Cond
}

type failure struct {
	n      int
	status int
	wait   time.Duration
}

// Defaults of reference §1, §3, §6, §7, §8.
const (
	defaultPageSize      = 10
	maxPageSize          = 1000
	maxDeltaPageSize     = 200
	defaultMaxPhoto      = 4 << 20
	defaultConcurrency   = 4
	defaultRateLimit     = 10000
	defaultRateWindow    = 10 * time.Minute
	defaultUploadLimit   = 150 << 20
	defaultUploadWindow  = 5 * time.Minute
	defaultRefreshTTL    = 90 * 24 * time.Hour
	defaultDeviceCodeTTL = 15 * time.Minute
	defaultPollInterval  = 5 * time.Second
	maxBodyBytes         = 64 << 20
)

// New starts a Server on a random 127.0.0.1 port. Call Close when done.
func New(opts Options) *Server {
	if opts.PageSize <= 0 {
		opts.PageSize = defaultPageSize
	}
	opts.PageSize = min(opts.PageSize, maxPageSize)
	if opts.DeltaPageSize <= 0 {
		opts.DeltaPageSize = maxDeltaPageSize
	}
	opts.DeltaPageSize = min(opts.DeltaPageSize, maxDeltaPageSize)
	if opts.DeltaLossStatus == 0 {
		opts.DeltaLossStatus = http.StatusGone
	}
	if opts.DeltaLossCode == "" {
		opts.DeltaLossCode = "SyncStateNotFound"
	}
	if opts.MovedOutReason == "" {
		opts.MovedOutReason = reasonChanged
	}
	if opts.DeleteReason == "" {
		opts.DeleteReason = reasonDeleted
	}
	if opts.Caps.Emails == 0 {
		opts.Caps.Emails = 3
	}
	if opts.Caps.BusinessPhones == 0 {
		opts.Caps.BusinessPhones = 2
	}
	if opts.Caps.HomePhones == 0 {
		opts.Caps.HomePhones = 2
	}
	if opts.MaxPhotoBytes <= 0 {
		opts.MaxPhotoBytes = defaultMaxPhoto
	}
	if opts.PhotoTooLargeStatus == 0 {
		opts.PhotoTooLargeStatus = http.StatusRequestEntityTooLarge
	}
	if opts.PhotoContentTypes == nil {
		opts.PhotoContentTypes = []string{"image/jpeg"}
	}
	if opts.ConcurrentRequests == 0 {
		opts.ConcurrentRequests = defaultConcurrency
	}
	if opts.ConcurrencyStatus == 0 {
		opts.ConcurrencyStatus = http.StatusTooManyRequests
	}
	if opts.ConcurrencyRetryAfter <= 0 {
		opts.ConcurrencyRetryAfter = time.Second
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = defaultRateLimit
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = defaultRateWindow
	}
	if opts.UploadLimit == 0 {
		opts.UploadLimit = defaultUploadLimit
	}
	if opts.UploadWindow <= 0 {
		opts.UploadWindow = defaultUploadWindow
	}
	if opts.RefreshTokenTTL <= 0 {
		opts.RefreshTokenTTL = defaultRefreshTTL
	}
	if opts.DeviceCodeTTL <= 0 {
		opts.DeviceCodeTTL = defaultDeviceCodeTTL
	}
	if opts.DevicePollInterval < time.Second {
		opts.DevicePollInterval = defaultPollInterval
	}
	s := &Server{
		opts:        opts,
		users:       map[string]*User{},
		refresh:     map[string]*refreshToken{},
		access:      map[string]*accessToken{},
		devices:     map[string]*deviceAuth{},
		codes:       map[string]*authCode{},
		deltaTokens: map[string]*deltaState{},
		requests:    map[string]int{},
	}
	s.idle = sync.NewCond(&s.mu)
	// The base URL is known before the first request can arrive, so that
	// handlers read it without a race.
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.base = "http://" + s.hs.Listener.Addr().String()
	s.hs.Start()
	return s
}

// URL is the Graph service root, the fake's
// "https://graph.microsoft.com/v1.0", such as
// "http://127.0.0.1:41234/v1.0"; clients append "/me/contacts" and the like.
// Links in responses (@odata.nextLink, @odata.deltaLink) are absolute URLs
// under it.
func (s *Server) URL() string { return s.base + "/v1.0" }

// LoginURL is the identity platform's root, the fake's
// "https://login.microsoftonline.com".
func (s *Server) LoginURL() string { return s.base }

// TokenURL is the OAuth 2.0 token endpoint of tenant ("common",
// "organizations", "consumers", a tenant id or domain), the fake's
// "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token".
func (s *Server) TokenURL(tenant string) string {
	return s.base + "/" + tenant + "/oauth2/v2.0/token"
}

// DeviceAuthURL is the device authorization endpoint of tenant, the fake's
// "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode".
func (s *Server) DeviceAuthURL(tenant string) string {
	return s.base + "/" + tenant + "/oauth2/v2.0/devicecode"
}

// Client returns an HTTP client with no credentials for reaching the
// server.
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() { s.hs.Close() }

func (s *Server) now() time.Time {
	if s.opts.Clock != nil {
		return s.opts.Clock()
	}
	return time.Now()
}

// Fail makes the next n Graph requests (after authentication; a $batch
// counts as one request, its items do not) answer status with Graph's
// error body for it — for 429 TooManyRequests "Please retry again later."
// of reference §6, for 412 ErrorIrresolvableConflict of §4 — and, when
// retryAfter > 0, a Retry-After header in whole seconds. Token requests
// are not affected.
func (s *Server) Fail(n int, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = failure{n, status, retryAfter}
}

// FailBatchItems makes the next n requests inside $batch requests answer
// status the way Fail does, each in its own item response (reference §5:
// "Each inner request is throttled individually → inner 429 possible").
func (s *Server) FailBatchItems(n int, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failItems = failure{n, status, retryAfter}
}

// takeFailure consumes one failure armed in f. Callers hold s.mu.
func takeFailure(f *failure) (failure, bool) {
	if f.n <= 0 {
		return failure{}, false
	}
	f.n--
	return *f, true
}

// Requests counts the requests received so far by endpoint: "contacts.list",
// "contacts.get", "contacts.create", "contacts.update", "contacts.delete",
// "contacts.delta", "photo.get", "photo.put", "photo.delete",
// "contactFolders.list", "contactFolders.get", "contactFolders.create",
// "contactFolders.update", "contactFolders.delete", "contactFolders.delta",
// "masterCategories.list",
// "$batch" (requests inside a batch count under their own names too),
// "token" and "devicecode". Requests refused for authentication,
// throttling or Fail are counted too.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.requests)
}

func (s *Server) count(endpoint string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[endpoint]++
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
	p := r.URL.Path
	switch {
	case p == "/v1.0" || strings.HasPrefix(p, "/v1.0/"):
		s.graph(w, r)
	case strings.HasSuffix(p, "/oauth2/v2.0/token") && strings.Count(p, "/") == 4:
		s.count("token")
		s.token(w, r, strings.Split(p, "/")[1])
	case strings.HasSuffix(p, "/oauth2/v2.0/devicecode") && strings.Count(p, "/") == 4:
		s.count("devicecode")
		s.deviceCode(w, r, strings.Split(p, "/")[1])
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "404 page not found\n")
	}
}
