package httpapi_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/httpapi"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// testAuth knows users by password. hold, when set, runs before every
// check (a test blocks a request in it); err, when set, is a failure of
// the authenticator's own.
type testAuth struct {
	users map[string]string
	hold  func(user string)
	err   error

	mu    sync.Mutex
	calls int
}

func (a *testAuth) Authenticate(_ context.Context, user, password string) error {
	a.mu.Lock()
	a.calls++
	a.mu.Unlock()
	if a.hold != nil {
		a.hold(user)
	}
	if a.err != nil {
		return a.err
	}
	want, ok := a.users[user]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 {
		return httpapi.ErrBadCredentials
	}
	return nil
}

func (a *testAuth) callCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// config tunes an env; the zero value is a store with the default limits
// and quota and a handler with the default options.
type config struct {
	quota   int64
	limits  store.Limits
	options func(*httpapi.Options)
}

// env is a handler over a fresh SQLite store, served on 127.0.0.1, with
// users alice and bob.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	handler http.Handler
	store   *sqlite.Store
	clock   *clock // the store's
	hclock  *clock // the handler's
	auth    *testAuth
}

// clock is a settable time source; it moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func start() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func newEnv(t *testing.T, cfg config) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: start()}, hclock: &clock{t: start()},
		auth: &testAuth{users: map[string]string{"alice": "secret-a", "bob": "secret-b"}}}
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"),
		sqlite.Options{QuotaBytes: cfg.quota, Limits: cfg.limits, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.store = s
	opts := httpapi.Options{Store: s, Auth: e.auth, Now: e.hclock.Now}
	if cfg.options != nil {
		cfg.options(&opts)
	}
	if e.handler, err = httpapi.New(opts); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	return e
}

// A reqOpt shapes a request.
type reqOpt func(*http.Request)

// header sets a request header.
func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// as authenticates as user with password (both empty: no credentials).
func as(user, password string) reqOpt {
	return func(r *http.Request) {
		r.Header.Del("Authorization")
		if user != "" || password != "" {
			r.SetBasicAuth(user, password)
		}
	}
}

// resp is an answer, body read.
type resp struct {
	status int
	header http.Header
	body   string
}

var twoDecimals = regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)

// do sends a request as alice (unless told otherwise) and checks what every
// response must have: an X-Weave-Timestamp with two decimals.
func (e *env) do(method, path, body string, opts ...reqOpt) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth("alice", "secret-a")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := resp{status: res.StatusCode, header: res.Header, body: string(b)}
	if ts := res.Header.Get("X-Weave-Timestamp"); !twoDecimals.MatchString(ts) {
		e.t.Fatalf("%s %s: status %d, X-Weave-Timestamp %q, want seconds with two decimals", method, path, r.status, ts)
	}
	return r
}

// want fails unless r has status and, when body is not "", that body.
func (r resp) want(t *testing.T, what string, status int, body string) resp {
	t.Helper()
	if r.status != status || (body != "" && strings.TrimSpace(r.body) != body) {
		t.Fatalf("%s: got %d %q, want %d %q", what, r.status, r.body, status, body)
	}
	return r
}

// decode decodes r's JSON body into v.
func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

// ts parses a timestamp header of r.
func (r resp) ts(t *testing.T, name string) store.Timestamp {
	t.Helper()
	v, err := store.ParseTimestamp(r.header.Get(name))
	if err != nil {
		t.Fatalf("%s %q: %v", name, r.header.Get(name), err)
	}
	return v
}

// put stores one record as alice over HTTP and returns its timestamp.
func (e *env) put(coll, id, payload string) store.Timestamp {
	e.t.Helper()
	r := e.do("PUT", "/1.5/alice/storage/"+coll+"/"+id, `{"payload":"`+payload+`"}`)
	r.want(e.t, "PUT "+id, http.StatusOK, "")
	return r.ts(e.t, "X-Last-Modified")
}

// tick moves the store's clock on, so that the next write gets a later time.
func (e *env) tick() { e.clock.Advance(time.Second) }

// postResult is the body of a POST or batch step.
type postResult struct {
	Batch    string            `json:"batch"`
	Modified json.Number       `json:"modified"`
	Success  []string          `json:"success"`
	Failed   map[string]string `json:"failed"`
}
