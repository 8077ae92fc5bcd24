package graphtest

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gate blocks the requests of one endpoint in OnRequest, where they hold
// their concurrency slot, until released.
type gate struct {
	endpoint string
	armed    atomic.Bool
	entered  chan string
	release  chan struct{}
}

func newGate(endpoint string) *gate {
	return &gate{endpoint: endpoint, entered: make(chan string, 16), release: make(chan struct{})}
}

func (g *gate) hook(endpoint string) {
	if endpoint == g.endpoint && g.armed.Load() {
		g.entered <- endpoint
		<-g.release
	}
}

// rawGet is a GET usable from any goroutine.
func rawGet(u, token string) (int, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// otherAppToken gets an access token for u issued to another client id,
// through the auth-code flow.
func (e *env) otherAppToken(clientID string) string {
	e.t.Helper()
	code := e.s.AuthorizationCode(e.u, "", "Contacts.ReadWrite offline_access")
	r := e.tokenRequest("common", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {clientID},
		"redirect_uri": {"http://127.0.0.1:5555/"}}).want(e.t, 200)
	var tok tokenBody
	r.into(e.t, &tok)
	return tok.AccessToken
}

func TestConcurrencyLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		slots  int
		status int
		retry  string
	}{
		{"four per mailbox", Options{}, 4, 429, "1"},
		{"503 variant, one slot", Options{ConcurrentRequests: 1, ConcurrencyStatus: 503, ConcurrencyRetryAfter: 3 * time.Second}, 1, 503, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate("contacts.get")
			tc.opts.OnRequest = g.hook
			e := newEnv(t, tc.opts)
			id := e.u.Put(Contact{GivenName: "A"})
			g.armed.Store(true)
			codes := make(chan int, tc.slots)
			var wg sync.WaitGroup
			for range tc.slots {
				wg.Go(func() {
					code, err := rawGet(e.s.URL()+"/me/contacts/"+id, e.token)
					if err != nil {
						t.Error(err)
					}
					codes <- code
				})
			}
			for range tc.slots {
				<-g.entered
			}
			// Every slot is held: one more request is refused at once.
			r := e.do("GET", "/me/contacts", nil)
			ge := r.wantError(t, tc.status, "ApplicationThrottled")
			if ge.Error.Message != "Application is over its MailboxConcurrency limit." || r.header.Get("Retry-After") != tc.retry {
				t.Errorf("message %q Retry-After %q (reference §6)", ge.Error.Message, r.header.Get("Retry-After"))
			}
			// The limit is per app and mailbox: another client id is not
			// affected.
			e.doAs(e.otherAppToken("b6a0d6a4-0000-4000-8000-000000000001"), "GET", "/me/contacts", nil).want(t, 200)
			close(g.release)
			wg.Wait()
			close(codes)
			for c := range codes {
				if c != 200 {
					t.Errorf("a held request answered %d", c)
				}
			}
			e.do("GET", "/me/contacts", nil).want(t, 200)
		})
	}
}

func TestFailInjection(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.Fail(2, http.StatusTooManyRequests, 1500*time.Millisecond)
	for range 2 {
		r := e.do("GET", "/me/contacts", nil)
		if g := r.wantError(t, 429, "TooManyRequests"); g.Error.Message != "Please retry again later." {
			t.Errorf("message %q (reference §6)", g.Error.Message)
		}
		if got := r.header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After %q, want 2", got)
		}
	}
	e.do("GET", "/me/contacts", nil).want(t, 200)
	for _, tc := range []struct {
		status int
		code   string
	}{{503, "serviceNotAvailable"}, {504, "UnknownError"}, {500, "generalException"}} {
		e.s.Fail(1, tc.status, 0)
		r := e.do("POST", "/me/contacts", person("A", "B"))
		r.wantError(t, tc.status, tc.code)
		if r.header.Get("Retry-After") != "" {
			t.Errorf("Retry-After without one asked for")
		}
	}
	if n := len(e.u.Contacts()); n != 0 {
		t.Errorf("failed requests wrote %d contacts", n)
	}
	// The token endpoint is not affected.
	e.s.Fail(1, 503, 0)
	e.token = e.refresh()
	e.do("GET", "/me/contacts", nil).wantError(t, 503, "serviceNotAvailable")
}

func TestRateAndUploadLimits(t *testing.T) {
	e := newEnv(t, Options{RateLimit: 3, RateWindow: time.Minute, UploadLimit: 120, UploadWindow: time.Minute})
	for range 3 {
		e.do("GET", "/me/contacts", nil).want(t, 200)
	}
	r := e.do("GET", "/me/contacts", nil)
	r.wantError(t, 429, "TooManyRequests")
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After %q, want the 60 s left in the window", got)
	}
	e.clock.Add(45 * time.Second)
	if got := e.do("GET", "/me/contacts", nil).header.Get("Retry-After"); got != "15" {
		t.Errorf("Retry-After %q, want 15", got)
	}
	e.clock.Add(15 * time.Second)
	body := []byte(`{"givenName":"` + strings.Repeat("a", 80) + `"}`)
	e.do("POST", "/me/contacts", body).want(t, 201)
	e.do("POST", "/me/contacts", body).wantError(t, 429, "TooManyRequests")
	if n := len(e.u.Contacts()); n != 1 {
		t.Errorf("%d contacts: a request over the upload limit was applied", n)
	}
}

func TestRequestsAndQuiesce(t *testing.T) {
	g := newGate("contacts.create")
	e := newEnv(t, Options{OnRequest: g.hook})
	e.do("GET", "/me/contacts", nil)
	e.do("GET", "/me/contacts", nil)
	e.doAs("", "GET", "/me/contacts", nil)
	e.do("GET", "/me/contactFolders", nil)
	got := e.s.Requests()
	for k, want := range map[string]int{"token": 1, "contacts.list": 3, "contactFolders.list": 1} {
		if got[k] != want {
			t.Errorf("Requests()[%q] = %d, want %d (all: %v)", k, got[k], want, got)
		}
	}
	got["token"] = 99
	if e.s.Requests()["token"] != 1 {
		t.Errorf("Requests returned its own map")
	}

	// A client killed while its write is in flight: Quiesce waits for the
	// write to be applied.
	g.armed.Store(true)
	go func() {
		req, _ := http.NewRequest("POST", e.s.URL()+"/me/contacts", strings.NewReader(`{"givenName":"Orphan"}`))
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	<-g.entered
	done := make(chan struct{})
	go func() {
		e.s.Quiesce()
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("Quiesce returned while a request was being handled")
	default:
	}
	close(g.release)
	<-done
	if cs := e.u.Contacts(); len(cs) != 1 || cs[0].GivenName != "Orphan" {
		t.Errorf("after Quiesce: %v", cs)
	}
}
