package connectors

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// An AuthorizedClient holds the HTTP client of an account signed in with
// OAuth, replaced whenever its token source is, and counts the requests
// sent through it by endpoint name. The zero value is ready to use.
type AuthorizedClient struct {
	mu       sync.Mutex
	hc       *http.Client
	requests map[string]int64
}

// Client returns the authorised client.
func (a *AuthorizedClient) Client() *http.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hc
}

// SetClient replaces the authorised client.
func (a *AuthorizedClient) SetClient(hc *http.Client) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hc = hc
}

// Count counts one request to endpoint name.
func (a *AuthorizedClient) Count(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.requests == nil {
		a.requests = map[string]int64{}
	}
	a.requests[name]++
}

// Counts returns the requests sent so far by endpoint name.
func (a *AuthorizedClient) Counts() map[string]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.requests)
}

// SignInFailure reports whether err, from a request through an oauth2
// transport, is a failure to get an access token (the request itself was
// not sent). It then returns it as an error that keeps the OAuth error but
// not the token endpoint's raw answer, with the way out.
func SignInFailure(err error) (error, bool) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if !strings.Contains(msg, "oauth2:") {
		return nil, false
	}
	if i := strings.Index(msg, "Response:"); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	return fmt.Errorf("sign-in: %s: run `contactbridge accounts connect` if the account's access was revoked", msg), true
}
