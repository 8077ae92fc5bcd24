package httpapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store/httpapi"
)

const time24h = 24 * time.Hour

func TestAuthentication(t *testing.T) {
	e := newEnv(t, config{options: func(o *httpapi.Options) { o.LoginFailures.Max = -1 }})
	e.put("contacts", "rec1", "alice-secret-payload")
	for _, tc := range []struct {
		name   string
		path   string
		opt    reqOpt
		status int
		body   string
	}{
		{"no credentials", "/1.5/alice/storage/contacts/rec1", as("", ""), http.StatusUnauthorized, "0"},
		{"wrong password", "/1.5/alice/storage/contacts/rec1", as("alice", "wrong"), http.StatusUnauthorized, "0"},
		{"unknown user", "/1.5/carol/storage/contacts/rec1", as("carol", "secret-a"), http.StatusUnauthorized, "0"},
		{"another user's path", "/1.5/alice/storage/contacts/rec1", as("bob", "secret-b"), http.StatusForbidden, "5"},
		{"another user's path, wrong password", "/1.5/alice/storage/contacts/rec1", as("bob", "wrong"), http.StatusUnauthorized, "0"},
		{"another user's info", "/1.5/alice/info/collections", as("bob", "secret-b"), http.StatusForbidden, "5"},
		{"the user's own path", "/1.5/alice/storage/contacts/rec1", as("alice", "secret-a"), http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.path, "", tc.opt).want(t, tc.name, tc.status, tc.body)
			if tc.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
				t.Fatalf("WWW-Authenticate %q, want a Basic challenge", r.header.Get("WWW-Authenticate"))
			}
			if tc.status != http.StatusOK && strings.Contains(r.body, "alice-secret-payload") {
				t.Fatalf("a refused request reveals the record: %q", r.body)
			}
		})
	}
	t.Run("bob cannot write to alice", func(t *testing.T) {
		e.do("PUT", "/1.5/alice/storage/contacts/rec1", `{"payload":"bob"}`, as("bob", "secret-b")).
			want(t, "PUT", http.StatusForbidden, "5")
		e.do("DELETE", "/1.5/alice", "", as("bob", "secret-b")).want(t, "DELETE", http.StatusForbidden, "5")
		e.do("GET", "/1.5/alice/storage/contacts/rec1", "").want(t, "GET", http.StatusOK, "")
	})
}

func TestAuthenticatorFailureIs500(t *testing.T) {
	e := newEnv(t, config{})
	e.auth.err = errors.New("password database unavailable")
	e.do("GET", "/1.5/alice/info/collections", "").want(t, "GET", http.StatusInternalServerError, "0")
}

func TestLoginFailuresAreLimited(t *testing.T) {
	e := newEnv(t, config{options: func(o *httpapi.Options) {
		o.LoginFailures = httpapi.LoginLimit{Max: 3, Window: time.Minute}
	}})
	for i := range 3 {
		e.do("GET", "/1.5/alice/info/collections", "", as("alice", "wrong")).
			want(t, "failure "+strconv.Itoa(i+1), http.StatusUnauthorized, "")
	}
	calls := e.auth.callCount()
	r := e.do("GET", "/1.5/alice/info/collections", "").want(t, "right password after 3 failures", http.StatusTooManyRequests, "")
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Fatalf("Retry-After %q, want 60", got)
	}
	if got := e.auth.callCount(); got != calls {
		t.Fatalf("the authenticator was called %d times while the login was refused", got-calls)
	}
	e.do("GET", "/1.5/bob/info/collections", "", as("bob", "secret-b")).
		want(t, "another user from the same IP", http.StatusOK, "")
	e.hclock.Advance(59 * time.Second)
	if got := e.do("GET", "/1.5/alice/info/collections", "").want(t, "a second before the window ends", http.StatusTooManyRequests, "").
		header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want 1", got)
	}
	e.hclock.Advance(time.Second)
	e.do("GET", "/1.5/alice/info/collections", "").want(t, "after the window", http.StatusOK, "")
}

// TestLoginFailuresArePerIPAndPerUser calls the handler directly, which
// lets each request come from its own address.
func TestLoginFailuresArePerIPAndPerUser(t *testing.T) {
	e := newEnv(t, config{options: func(o *httpapi.Options) { o.LoginFailures.Max = 2 }})
	get := func(ip, user, password string) int {
		req := httptest.NewRequest("GET", "/1.5/"+user+"/info/collections", nil)
		req.RemoteAddr = ip + ":40000"
		req.SetBasicAuth(user, password)
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		return rec.Code
	}
	type step struct {
		name, ip, user, password string
		want                     int
	}
	steps := []step{
		{"alice fails from .1", "192.0.2.1", "alice", "x", http.StatusUnauthorized},
		{"alice fails again from .1", "192.0.2.1", "alice", "x", http.StatusUnauthorized},
		{"alice is blocked from .1", "192.0.2.1", "alice", "secret-a", http.StatusTooManyRequests},
		{"but not from another IP: nobody can lock her out", "192.0.2.2", "alice", "secret-a", http.StatusOK},
		{"bob is not blocked from .1", "192.0.2.1", "bob", "secret-b", http.StatusOK},
		{"an IPv6 client is its own", "[2001:db8::1]", "alice", "secret-a", http.StatusOK},
	}
	// An IP that fails Max × IPFactor times, over many names, is blocked
	// for every name.
	for i := range 2 * httpapi.IPFactor {
		steps = append(steps, step{"spraying from .9", "192.0.2.9", "user" + strconv.Itoa(i), "x", http.StatusUnauthorized})
	}
	steps = append(steps, step{".9 is blocked for any user", "192.0.2.9", "bob", "secret-b", http.StatusTooManyRequests})
	for _, tc := range steps {
		if got := get(tc.ip, tc.user, tc.password); got != tc.want {
			t.Fatalf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}

// A login in progress counts as failed until it succeeds: attempts sent at
// once cannot run more password checks than the limit allows.
func TestConcurrentLoginsCountBeforeTheCheck(t *testing.T) {
	e := newEnv(t, config{options: func(o *httpapi.Options) { o.LoginFailures.Max = 1 }})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.auth.hold = func(string) {
		// Only the first check waits, so that a wrong second one fails
		// the test instead of hanging it.
		once.Do(func() {
			close(entered)
			<-release
		})
	}
	get := func() int {
		req := httptest.NewRequest("GET", "/1.5/alice/info/collections", nil)
		req.RemoteAddr = "192.0.2.1:40000"
		req.SetBasicAuth("alice", "x")
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		return rec.Code
	}
	first := make(chan int, 1)
	go func() { first <- get() }()
	<-entered // the first attempt is being checked
	if got := get(); got != http.StatusTooManyRequests {
		t.Errorf("a second attempt while the first is checked: status %d, want 429 without a check", got)
	}
	close(release)
	if got := <-first; got != http.StatusUnauthorized {
		t.Errorf("the first attempt: status %d, want 401", got)
	}
	if n := e.auth.callCount(); n != 1 {
		t.Errorf("%d password checks, want 1", n)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	e := newEnv(t, config{})
	for _, tc := range []struct {
		name string
		opts httpapi.Options
	}{
		{"no store", httpapi.Options{Auth: e.auth}},
		{"no authenticator", httpapi.Options{Store: e.store}},
		{"negative MaxInFlight", httpapi.Options{Store: e.store, Auth: e.auth, MaxInFlight: -1}},
		{"negative window", httpapi.Options{Store: e.store, Auth: e.auth, LoginFailures: httpapi.LoginLimit{Window: -time.Second}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := httpapi.New(tc.opts); err == nil {
				t.Fatal("New accepted the options")
			}
		})
	}
}
