// Package httpapi serves any store.Store as a Sync Storage 1.5 server:
// the endpoints under /1.5/{user}/ with their headers, status codes and
// numeric error bodies (respcodes), behind HTTP Basic authentication.
//
// The handler is meant to run behind TLS: Basic credentials travel in the
// clear otherwise.
package httpapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

// DefaultMaxInFlight is how many requests a handler serves at once when
// Options.MaxInFlight is 0.
const DefaultMaxInFlight = 64

// Options configure the handler New returns.
type Options struct {
	// Store holds the records. Required.
	Store store.Store
	// Auth checks the HTTP Basic credentials of every request. Required.
	Auth Authenticator
	// Logger receives one line per failed request and per refused login;
	// never a payload or a password. Nil discards.
	Logger *slog.Logger
	// Now is the handler's clock (nil: time.Now): it stamps
	// X-Weave-Timestamp on responses that carry no store timestamp, and
	// times the windows of LoginFailures. The store keeps its own clock for
	// record timestamps.
	Now func() time.Time
	// MaxInFlight is how many requests are served at once; a request beyond
	// it is answered 503 with Retry-After and X-Weave-Backoff at once.
	// 0 means DefaultMaxInFlight; negative is an error.
	MaxInFlight int
	// LoginFailures limits failed logins per client IP and per user name.
	LoginFailures LoginLimit
}

// server is the http.Handler New returns.
type server struct {
	store    store.Store
	auth     Authenticator
	log      *slog.Logger
	now      func() time.Time
	inFlight chan struct{}
	logins   *loginLimiter
	routes   routes
}

// New returns an http.Handler serving opts.Store as Sync Storage 1.5 under
// /1.5/{user}/.
func New(opts Options) (http.Handler, error) {
	if opts.Store == nil {
		return nil, errors.New("httpapi: Options.Store is required")
	}
	if opts.Auth == nil {
		return nil, errors.New("httpapi: Options.Auth is required")
	}
	if opts.MaxInFlight < 0 {
		return nil, fmt.Errorf("httpapi: Options.MaxInFlight is %d, want 0 or more", opts.MaxInFlight)
	}
	logins, err := newLoginLimiter(opts.LoginFailures)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	s := &server{
		store:  opts.Store,
		auth:   opts.Auth,
		log:    opts.Logger,
		now:    opts.Now,
		logins: logins,
		routes: newRoutes(),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	n := opts.MaxInFlight
	if n == 0 {
		n = DefaultMaxInFlight
	}
	s.inFlight = make(chan struct{}, n)
	return s, nil
}

// ServeHTTP sheds load, authenticates, routes and serves one request.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := store.FromTime(s.now())
	// Every response carries the server time; handlers that know a store
	// timestamp overwrite it (stamp).
	w.Header().Set("X-Weave-Timestamp", now.String())

	select {
	case s.inFlight <- struct{}{}:
		defer func() { <-s.inFlight }()
	default:
		secs := fmt.Sprint(int(overloadRetryAfter / time.Second))
		w.Header().Set("Retry-After", secs)
		w.Header().Set("X-Weave-Backoff", secs)
		sendCode(w, http.StatusServiceUnavailable, codeUnknown)
		return
	}

	user, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	c := &call{w: w, r: r, now: now, authUser: user}
	s.route(c)
}

// overloadRetryAfter is what a client shed by MaxInFlight is asked to wait;
// syncstorage-rs asks as long of a client it turns away on a conflict.
const overloadRetryAfter = 10 * time.Second
