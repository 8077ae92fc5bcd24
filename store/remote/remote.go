// Package remote is a store.Store that keeps the hub's records on a Sync
// Storage 1.5 server: contactbridge's own (`contactbridge storage serve`)
// or any compatible one. It authenticates with HTTP Basic or a bearer
// token, writes within the limits the server publishes in
// info/configuration, waits and retries when the server is busy (503 or
// 429 with Retry-After), and takes 400 or 403 with body 14 for over quota.
package remote

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

// Credentials authenticate one user to the server.
type Credentials struct {
	// Username and Password are sent with HTTP Basic auth when Username is
	// set.
	Username, Password string
	// BearerToken is sent as "Authorization: Bearer …" when set (a token
	// server's or a proxy's token); it takes precedence over Basic.
	BearerToken string
}

// Options configure a Store.
type Options struct {
	// BaseURL is the server's Sync 1.5 root, such as
	// "https://sync.example.com/1.5/": user u's storage is at BaseURL + u
	// + "/". Plain http is accepted only for a loopback host, so that
	// credentials never cross a network in clear text.
	BaseURL string
	// Credentials returns how to authenticate as user; nil sends no
	// credentials.
	Credentials func(user string) (Credentials, error)
	// HTTPClient makes the requests (nil: a client with TLS verification
	// and a 60 s timeout).
	HTTPClient *http.Client
	// Logger receives retries and backoff hints (nil: discard). Payloads
	// and credentials are never logged.
	Logger *slog.Logger
	// Attempts is how many times a request is tried when the server is
	// busy or, for a request that is safe to repeat, failing (0: 5).
	Attempts int
	// MaxWait is the longest Retry-After the store waits for; a longer one
	// fails the request with ErrBusy (0: 2 minutes).
	MaxWait time.Duration
	// User is the user whose limits and quota Open reads (the server's
	// info/configuration is per user path); "" skips reading them until a
	// request names a user.
	User string

	// sleep waits between attempts (tests make it return at once).
	sleep func(ctx context.Context, d time.Duration) error
}

// ErrBusy means the server stayed unavailable (503 or 429) through every
// attempt, or asked for a longer wait than Options.MaxWait.
var ErrBusy = errors.New("server busy")

// ErrUnauthorized means the server refused the credentials (401) or the
// user's path (403 without the over-quota code).
var ErrUnauthorized = errors.New("unauthorized")

// Store is a store.Store on a Sync 1.5 server. Create it with Open.
type Store struct {
	base  *url.URL
	opts  Options
	http  *http.Client
	log   *slog.Logger
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	conf    map[string]*serverConfig // per user: limits and quota as published
	closed  bool
	backoff time.Time // no request before this (X-Weave-Backoff)
}

var _ store.Store = (*Store)(nil)

// serverConfig is what info/configuration says.
type serverConfig struct {
	limits store.Limits
	quota  int64
}

// Open returns a Store for the server at opts.BaseURL. When opts.User is
// set it reads that user's info/configuration at once, so that a wrong
// URL or password shows now rather than at the first sync.
func Open(ctx context.Context, opts Options) (*Store, error) {
	base, err := url.Parse(opts.BaseURL)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("remote: base URL %q: not an http(s) URL", opts.BaseURL)
	}
	if base.Scheme == "http" && !loopback(base.Hostname()) {
		return nil, fmt.Errorf("remote: base URL %s: plain http is allowed only on loopback; use https", base.Redacted())
	}
	if base.User != nil {
		return nil, fmt.Errorf("remote: base URL %s: put credentials in the config, not the URL", base.Redacted())
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 2 * time.Minute
	}
	s := &Store{base: base, opts: opts, http: opts.HTTPClient, log: opts.Logger, sleep: opts.sleep, conf: map[string]*serverConfig{}}
	if s.http == nil {
		s.http = &http.Client{
			Timeout: 60 * time.Second,
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
				MaxIdleConnsPerHost: 8,
				IdleConnTimeout:     90 * time.Second,
			},
			// Sync servers do not redirect; following one could send
			// the credentials elsewhere, or to plain http, and turn a
			// POST into a GET. The 3xx is an error for the caller.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.sleep == nil {
		s.sleep = sleepContext
	}
	if opts.User != "" {
		if _, err := s.config(ctx, opts.User); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.http.CloseIdleConnections()
	}
	return nil
}

// Limits implements store.Store: the limits the server published for the
// user Open read them for (store.DefaultLimits before any was read).
func (s *Store) Limits() store.Limits {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.conf[s.opts.User]; c != nil {
		return c.limits
	}
	for _, c := range s.conf {
		return c.limits
	}
	return store.DefaultLimits()
}

// Quota implements store.Store: the per-collection quota the server
// published (max_quota_limit in info/configuration), or 0 when it names
// none.
func (s *Store) Quota() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.conf[s.opts.User]; c != nil {
		return c.quota
	}
	for _, c := range s.conf {
		return c.quota
	}
	return 0
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain reads what is left of a response body, so that the connection can
// be reused, and closes it.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
