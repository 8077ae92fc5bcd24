package remote

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/httpapi"
	"github.com/contactbridge/contactbridge/store/sqlite"
	"github.com/contactbridge/contactbridge/store/storetest"
)

// passwords is an httpapi.Authenticator: every user's password is
// "pw-" + the user.
type passwords struct{}

func (passwords) Authenticate(_ context.Context, user, password string) error {
	if password != "pw-"+user {
		return httpapi.ErrBadCredentials
	}
	return nil
}

func basic(user string) (Credentials, error) {
	return Credentials{Username: user, Password: "pw-" + user}, nil
}

// The remote store passes the conformance suite against contactbridge's
// own server over a SQLite store: remote → httpapi → sqlite.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts storetest.Options) store.Store {
		backend, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"),
			sqlite.Options{QuotaBytes: opts.QuotaBytes, Limits: opts.Limits, Now: opts.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = backend.Close() })
		h, err := httpapi.New(httpapi.Options{Store: backend, Auth: passwords{}, Now: opts.Now})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		s, err := Open(context.Background(), Options{BaseURL: srv.URL + "/1.5/", Credentials: basic, User: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// script is a server answering from a list, recording the requests.
type script struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter)
	reqs    []*http.Request
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	if len(s.answers) == 0 {
		http.Error(w, "no more answers", http.StatusTeapot)
		return
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	a(w)
}

func answer(status int, body string, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// open returns a Store on a scripted server, and the waits it slept.
func open(t *testing.T, sc *script, o Options) (*Store, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(sc)
	t.Cleanup(srv.Close)
	var waits []time.Duration
	o.BaseURL = srv.URL + "/1.5/"
	o.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, &waits
}

func TestBusyServerIsWaitedFor(t *testing.T) {
	sc := &script{answers: []func(http.ResponseWriter){
		answer(http.StatusServiceUnavailable, "", "Retry-After", "7"),
		answer(http.StatusTooManyRequests, "", "Retry-After", "3"),
		answer(http.StatusOK, `{"id":"a","modified":12.3,"payload":"x"}`),
	}}
	s, waits := open(t, sc, Options{})
	b, err := s.Get(context.Background(), "alice", "contacts", "a")
	if err != nil || b.Payload != "x" || b.Modified != 12300 {
		t.Fatalf("Get = %+v, %v", b, err)
	}
	if want := []time.Duration{7 * time.Second, 3 * time.Second}; len(*waits) != 2 || (*waits)[0] != want[0] || (*waits)[1] != want[1] {
		t.Errorf("waited %v, want %v", *waits, want)
	}
}

func TestTooLongRetryAfterFailsAtOnce(t *testing.T) {
	sc := &script{answers: []func(http.ResponseWriter){answer(http.StatusServiceUnavailable, "", "Retry-After", "3600")}}
	s, waits := open(t, sc, Options{})
	_, err := s.Put(context.Background(), "alice", "contacts", store.Write{ID: "a"}, store.Precondition{})
	if !errors.Is(err, ErrBusy) || len(*waits) != 0 {
		t.Errorf("Put = %v after waits %v; want ErrBusy at once", err, *waits)
	}
}

func TestPostIsNotRepeatedAfterAServerError(t *testing.T) {
	sc := &script{answers: []func(http.ResponseWriter){answer(http.StatusInternalServerError, "0")}}
	s, _ := open(t, sc, Options{})
	payload := "p"
	_, err := s.Post(context.Background(), "alice", "contacts", []store.Write{{ID: "a", Payload: &payload}}, store.Precondition{})
	if err == nil || len(sc.reqs) != 1 {
		t.Errorf("Post = %v in %d requests; want an error after one", err, len(sc.reqs))
	}
}

func TestErrorAnswers(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   error
	}{
		{http.StatusBadRequest, "14", store.ErrOverQuota},
		{http.StatusForbidden, "14", store.ErrOverQuota},
		{http.StatusBadRequest, "17", store.ErrSizeLimit},
		{http.StatusRequestEntityTooLarge, "", store.ErrSizeLimit},
		{http.StatusBadRequest, "8", store.ErrInvalid},
		{http.StatusPreconditionFailed, "", store.ErrPreconditionFailed},
		{http.StatusNotFound, "0", store.ErrNotFound},
		{http.StatusUnauthorized, "", ErrUnauthorized},
		{http.StatusForbidden, "5", ErrUnauthorized},
	} {
		sc := &script{answers: []func(http.ResponseWriter){answer(tc.status, tc.body)}}
		s, _ := open(t, sc, Options{})
		payload := "p"
		_, err := s.Put(context.Background(), "alice", "contacts", store.Write{ID: "a", Payload: &payload}, store.Precondition{})
		if !errors.Is(err, tc.want) {
			t.Errorf("HTTP %d %q: Put = %v, want %v", tc.status, tc.body, err, tc.want)
		}
	}
}

func TestCredentialsAndPrecondition(t *testing.T) {
	sc := &script{answers: []func(http.ResponseWriter){
		answer(http.StatusOK, `1234.50`, "X-Last-Modified", "1234.50"),
		answer(http.StatusOK, `{"modified":1234.60}`),
	}}
	s, _ := open(t, sc, Options{Credentials: func(user string) (Credentials, error) {
		if user == "bob" {
			return Credentials{BearerToken: "tok"}, nil
		}
		return Credentials{Username: user, Password: "secret"}, nil
	}})
	payload := "p"
	ts, err := s.Put(context.Background(), "alice", "contacts", store.Write{ID: "a b/c", Payload: &payload}, store.Since(1000_000))
	if err != nil || ts != 1234_500 {
		t.Fatalf("Put = %v, %v", ts, err)
	}
	if _, err := s.Delete(context.Background(), "bob", "contacts", "a", store.Precondition{}); err != nil {
		t.Fatal(err)
	}
	r := sc.reqs[0]
	if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "secret" {
		t.Errorf("Basic auth = %q %q %v", u, p, ok)
	}
	if got := r.Header.Get("X-If-Unmodified-Since"); got != "1000.00" {
		t.Errorf("X-If-Unmodified-Since = %q", got)
	}
	if got := r.URL.EscapedPath(); got != "/1.5/alice/storage/contacts/a%20b%2Fc" {
		t.Errorf("path = %s", got)
	}
	if got := sc.reqs[1].Header.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization = %q", got)
	}
}

func TestOpenRefusesCleartextBeyondLoopback(t *testing.T) {
	for _, u := range []string{"http://sync.example.com/1.5/", "https://alice:pw@sync.example.com/1.5/", "ftp://x/1.5/", "sync.example.com"} {
		if _, err := Open(context.Background(), Options{BaseURL: u}); err == nil {
			t.Errorf("Open(%s) succeeded", u)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("Open(%s) error shows the password: %v", u, err)
		}
	}
}

// A redirect is an error: following it could carry the credentials to
// another host or to plain http.
func TestRedirectIsNotFollowed(t *testing.T) {
	sc := &script{answers: []func(http.ResponseWriter){answer(http.StatusFound, "", "Location", "http://elsewhere.example/1.5/alice/storage/contacts/a")}}
	s, _ := open(t, sc, Options{Credentials: basic})
	if _, err := s.Get(context.Background(), "alice", "contacts", "a"); err == nil || !strings.Contains(err.Error(), "302") {
		t.Errorf("Get answered by a redirect = %v, want an HTTP 302 error", err)
	}
	if len(sc.reqs) != 1 {
		t.Errorf("%d requests, want 1", len(sc.reqs))
	}
}

// A conditional write whose answer was lost is not sent again: the second
// attempt would fail on the first one's timestamp.
func TestConditionalPutIsNotRepeated(t *testing.T) {
	sc := &script{answers: []func(http.ResponseWriter){answer(http.StatusInternalServerError, "0"), answer(http.StatusOK, "1.00")}}
	s, waits := open(t, sc, Options{})
	payload := "p"
	if _, err := s.Put(context.Background(), "alice", "contacts", store.Write{ID: "a", Payload: &payload}, store.Since(0)); err == nil {
		t.Error("Put succeeded")
	}
	if len(sc.reqs) != 1 || len(*waits) != 0 {
		t.Errorf("%d requests and waits %v; want one request", len(sc.reqs), *waits)
	}
	if _, err := s.Put(context.Background(), "alice", "contacts", store.Write{ID: "a", Payload: &payload}, store.Precondition{}); err != nil {
		t.Errorf("unconditional Put after a 500: %v", err)
	}
}

// "." and ".." never go out as path segments.
func TestDotSegmentsAreRefused(t *testing.T) {
	sc := &script{}
	s, _ := open(t, sc, Options{})
	if _, err := s.DeleteCollection(context.Background(), "alice", "..", store.Precondition{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("DeleteCollection(..) = %v", err)
	}
	if _, err := s.Delete(context.Background(), "alice", "contacts", "..", store.Precondition{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Delete(contacts/..) = %v", err)
	}
	if len(sc.reqs) != 0 {
		t.Errorf("%d requests went out", len(sc.reqs))
	}
}
