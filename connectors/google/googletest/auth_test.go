package googletest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

type tokenBody struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

func TestTokenRefresh(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {testRefreshToken}, "client_id": {"id"}})
	r.wantOK(t)
	var tok tokenBody
	r.into(t, &tok)
	if !strings.HasPrefix(tok.AccessToken, "ya29.") || tok.TokenType != "Bearer" || tok.ExpiresIn != 3599 ||
		tok.Scope != "https://www.googleapis.com/auth/contacts" {
		t.Errorf("token response %s", r.body)
	}
	if tok.RefreshToken != "" {
		t.Errorf("a refresh grant returned a refresh token (Google does not rotate them): %s", r.body)
	}
	e.doAs(tok.AccessToken, "GET", "v1/people/me/connections?personFields=names", nil).wantOK(t)
	if got := e.s.Requests()["token"]; got != 2 {
		t.Errorf("Requests()[token] = %d, want 2", got)
	}
}

func TestTokenErrors(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct {
		name       string
		form       url.Values
		code       int
		err, descr string
	}{
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}, "client_id": {"id"}},
			400, "invalid_grant", "Bad Request"},
		{"no client id", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {testRefreshToken}},
			400, "invalid_request", "Could not determine client ID from request."},
		{"unsupported grant", url.Values{"grant_type": {"password"}, "client_id": {"id"}},
			400, "unsupported_grant_type", "Invalid grant_type: password"},
		{"unknown code", url.Values{"grant_type": {"authorization_code"}, "code": {"4/0nope"}, "client_id": {"id"}},
			400, "invalid_grant", "Bad Request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.tokenRequest(tc.form)
			var b tokenBody
			r.into(t, &b)
			if r.code != tc.code || b.Error != tc.err || b.Description != tc.descr {
				t.Errorf("got %d %s, want %d %s %q", r.code, r.body, tc.code, tc.err, tc.descr)
			}
		})
	}
}

func TestTokenClientCredentials(t *testing.T) {
	e := newEnv(t, Options{ClientID: "client.apps.googleusercontent.com", ClientSecret: "secret"})
	r := e.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {testRefreshToken},
		"client_id": {"other"}, "client_secret": {"secret"}})
	var b tokenBody
	r.into(t, &b)
	if r.code != 401 || b.Error != "invalid_client" {
		t.Errorf("wrong client id: %d %s", r.code, r.body)
	}
	// HTTP Basic client authentication is accepted too.
	req, _ := http.NewRequest("POST", e.s.TokenURL(), strings.NewReader(url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {testRefreshToken}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("client.apps.googleusercontent.com", "secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readResp(t, res).wantOK(t)
}

func TestTokenAuthorizationCodeWithPKCE(t *testing.T) {
	e := newEnv(t, Options{})
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	form := func(code, v string) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"id"},
			"redirect_uri": {"http://127.0.0.1:5555/"}}
		if v != "" {
			f.Set("code_verifier", v)
		}
		return f
	}
	t.Run("good verifier", func(t *testing.T) {
		code := e.s.AuthorizationCode(testRefreshToken, s256(verifier))
		r := e.tokenRequest(form(code, verifier))
		r.wantOK(t)
		var tok tokenBody
		r.into(t, &tok)
		if tok.RefreshToken != testRefreshToken || tok.AccessToken == "" {
			t.Fatalf("code exchange: %s", r.body)
		}
		e.doAs(tok.AccessToken, "GET", "v1/people/me?personFields=names", nil).wantOK(t)
		// A code is good once.
		r = e.tokenRequest(form(code, verifier))
		if r.code != 400 || !strings.Contains(string(r.body), "invalid_grant") {
			t.Errorf("second exchange of one code: %d %s", r.code, r.body)
		}
	})
	t.Run("bad verifier", func(t *testing.T) {
		code := e.s.AuthorizationCode(testRefreshToken, s256(verifier))
		r := e.tokenRequest(form(code, verifier+"x"))
		var b tokenBody
		r.into(t, &b)
		if r.code != 400 || b.Error != "invalid_grant" || b.Description != "Invalid code verifier." {
			t.Errorf("got %d %s", r.code, r.body)
		}
	})
	t.Run("missing verifier", func(t *testing.T) {
		code := e.s.AuthorizationCode(testRefreshToken, s256(verifier))
		r := e.tokenRequest(form(code, ""))
		var b tokenBody
		r.into(t, &b)
		if r.code != 400 || b.Error != "invalid_grant" || b.Description != "Missing code verifier." {
			t.Errorf("got %d %s", r.code, r.body)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		code := e.s.AuthorizationCode(testRefreshToken, s256(verifier))
		e.clock.Add(11 * time.Minute)
		r := e.tokenRequest(form(code, verifier))
		if r.code != 400 || !strings.Contains(string(r.body), "invalid_grant") {
			t.Errorf("got %d %s", r.code, r.body)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		if code := e.s.AuthorizationCode("nobody", s256(verifier)); code != "" {
			t.Errorf("code for an unknown user: %q", code)
		}
	})
}

func TestRefreshTokenTTL(t *testing.T) {
	e := newEnv(t, Options{RefreshTokenTTL: 7 * 24 * time.Hour})
	e.clock.Add(7*24*time.Hour - time.Minute)
	e.refresh(testRefreshToken)
	e.clock.Add(time.Minute)
	r := e.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {testRefreshToken}, "client_id": {"id"}})
	var b tokenBody
	r.into(t, &b)
	if r.code != 400 || b.Error != "invalid_grant" || b.Description != "Token has been expired or revoked." {
		t.Errorf("got %d %s", r.code, r.body)
	}
}

// The 401 Google APIs give for an expired access token. The reference
// quotes none; this is the standard Google front-end body.
const recorded401 = `{
  "error": {
    "code": 401,
    "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    "status": "UNAUTHENTICATED",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "ACCESS_TOKEN_EXPIRED",
        "domain": "googleapis.com",
        "metadata": {"service": "people.googleapis.com"}
      }
    ]
  }
}`

func TestAccessTokenExpiresAfterAnHour(t *testing.T) {
	e := newEnv(t, Options{})
	e.clock.Add(59 * time.Minute)
	e.do("GET", "v1/people/me/connections?personFields=names", nil).wantOK(t)
	e.clock.Add(time.Minute)
	r := e.do("GET", "v1/people/me/connections?personFields=names", nil)
	r.wantError(t, 401, "UNAUTHENTICATED")
	if diffs := sameShape(decodeJSON(t, recorded401), r.json(t), "$"); len(diffs) > 0 {
		t.Errorf("401 body differs from Google's: %v\n%s", diffs, r.body)
	}
	if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	// A new access token works again.
	e.doAs(e.refresh(testRefreshToken), "GET", "v1/people/me/connections?personFields=names", nil).wantOK(t)
}

func TestExpireAccessTokens(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.ExpireAccessTokens()
	e.do("GET", "v1/contactGroups", nil).wantError(t, 401, "UNAUTHENTICATED")
	e.doAs(e.refresh(testRefreshToken), "GET", "v1/contactGroups", nil).wantOK(t)
}

func TestMissingOrUnknownCredentials(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.doAs("", "GET", "v1/people/me/connections?personFields=names", nil)
	er := r.wantError(t, 401, "UNAUTHENTICATED")
	if !strings.HasPrefix(er.Error.Message, "Request is missing required authentication credential.") {
		t.Errorf("message %q", er.Error.Message)
	}
	r = e.doAs("ya29.forged", "GET", "v1/people/me/connections?personFields=names", nil)
	er = r.wantError(t, 401, "UNAUTHENTICATED")
	if !strings.HasPrefix(er.Error.Message, "Request had invalid authentication credentials.") {
		t.Errorf("message %q", er.Error.Message)
	}
}

func TestUsersAreSeparate(t *testing.T) {
	e := newEnv(t, Options{})
	other := e.s.AddUser("1//refresh-token-of-grace")
	other.Put(person("Grace", "Hopper"))
	e.u.Put(person("Ada", "Lovelace"))
	tok := e.refresh("1//refresh-token-of-grace")
	r := e.doAs(tok, "GET", "v1/people/me/connections?personFields=names", nil)
	var p listPage
	r.into(t, &p)
	if len(p.Connections) != 1 || p.Connections[0].Names[0].GivenName != "Grace" {
		t.Errorf("second user sees %s", r.body)
	}
	// A sync token of one user is no good for another.
	_, st := e.listAll("personFields=names&requestSyncToken=true")
	e.doAs(tok, "GET", "v1/people/me/connections?personFields=names&syncToken="+url.QueryEscape(st), nil).
		wantError(t, 400, "INVALID_ARGUMENT")
}
