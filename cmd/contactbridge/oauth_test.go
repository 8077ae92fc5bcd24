package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// authServer is a minimal OAuth authorization server: it hands out code
// "the-code" for the challenge it was shown and checks the PKCE verifier
// on exchange.
type authServer struct {
	t         *testing.T
	challenge string
	redirect  string
	srv       *httptest.Server
}

func newAuthServer(t *testing.T) *authServer {
	a := &authServer{t: t}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case r.PostForm.Get("grant_type") != "authorization_code", r.PostForm.Get("code") != "the-code":
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		case base64.RawURLEncoding.EncodeToString(sum[:]) != a.challenge:
			http.Error(w, `{"error":"invalid_grant","error_description":"code_verifier"}`, http.StatusBadRequest)
		case r.PostForm.Get("redirect_uri") != a.redirect:
			http.Error(w, `{"error":"redirect_uri_mismatch"}`, http.StatusBadRequest)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "refresh_token": "rt", "token_type": "Bearer", "expires_in": 3599})
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// browser plays the user: it reads the consent URL and follows the
// redirect with a code, or with what answer makes of it.
func (a *authServer) browser(answer func(q url.Values) url.Values) func(string) error {
	return func(consent string) error {
		u, err := url.Parse(consent)
		if err != nil {
			return err
		}
		q := u.Query()
		for k, want := range map[string]string{"code_challenge_method": "S256", "access_type": "offline", "response_type": "code", "prompt": "consent"} {
			if q.Get(k) != want {
				a.t.Errorf("consent URL: %s = %q, want %q", k, q.Get(k), want)
			}
		}
		a.challenge, a.redirect = q.Get("code_challenge"), q.Get("redirect_uri")
		if !strings.HasPrefix(a.redirect, "http://127.0.0.1:") {
			a.t.Errorf("redirect %q is not loopback", a.redirect)
		}
		back := url.Values{"code": {"the-code"}, "state": {q.Get("state")}}
		if answer != nil {
			back = answer(back)
		}
		go func() {
			res, err := http.Get(a.redirect + "?" + back.Encode())
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
		return nil
	}
}

func TestLoopbackConsent(t *testing.T) {
	for name, tc := range map[string]struct {
		answer func(url.Values) url.Values
		want   string // error fragment; "" for success
	}{
		"consent":      {nil, ""},
		"wrong state":  {func(q url.Values) url.Values { q.Set("state", "forged"); return q }, "state does not match"},
		"refused":      {func(q url.Values) url.Values { q.Del("code"); q.Set("error", "access_denied"); return q }, "access_denied"},
		"no code":      {func(q url.Values) url.Values { q.Del("code"); return q }, "no code"},
		"another code": {func(q url.Values) url.Values { q.Set("code", "stolen"); return q }, "invalid_grant"},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAuthServer(t)
			conf := oauth2.Config{ClientID: "cid", Endpoint: oauth2.Endpoint{AuthURL: a.srv.URL + "/auth", TokenURL: a.srv.URL + "/token"}}
			var out strings.Builder
			tok, err := loopbackConsent(context.Background(), conf, &out, a.browser(tc.answer))
			if tc.want == "" {
				if err != nil || tok.RefreshToken != "rt" {
					t.Fatalf("token %+v, %v", tok, err)
				}
				if strings.Contains(out.String(), "rt") && strings.Contains(out.String(), "refresh") {
					t.Errorf("output shows the token: %s", out.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
