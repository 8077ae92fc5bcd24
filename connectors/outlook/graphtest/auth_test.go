package graphtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// wantAAD checks an identity-platform error: status, error, AADSTS code
// and the members of reference §8.1.
func wantAAD(t *testing.T, r *resp, status int, errCode string, aadsts int) tokenBody {
	t.Helper()
	var b tokenBody
	r.into(t, &b)
	if r.code != status || b.Error != errCode || !slices.Equal(b.ErrorCodes, []int{aadsts}) ||
		!strings.HasPrefix(b.Description, "AADSTS"+strconv.Itoa(aadsts)+": ") {
		t.Fatalf("got %d %s, want %d %s AADSTS%d", r.code, r.body, status, errCode, aadsts)
	}
	for _, k := range []string{"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"} {
		if _, ok := r.json(t)[k]; !ok {
			t.Errorf("no %s in %s", k, r.body)
		}
	}
	return b
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {testClientID}}
}

func TestRefreshTokenRotation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     Options
		oldWorks bool
	}{
		{"old token retired", Options{}, false},
		{"OldRefreshTokensStayValid", Options{OldRefreshTokensStayValid: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts) // its setup already used the seed token once
			first := e.u.RefreshToken()
			if first == testRefresh {
				t.Fatal("the refresh did not rotate the refresh token")
			}
			r := e.tokenRequest("common", refreshForm(first)).want(t, 200)
			var tok tokenBody
			r.into(t, &tok)
			if tok.RefreshToken == "" || tok.RefreshToken == first || e.u.RefreshToken() != tok.RefreshToken {
				t.Errorf("each refresh returns a new refresh token (reference §8.3): %s", r.body)
			}
			if tok.TokenType != "Bearer" || tok.ExpiresIn != 3599 || tok.Scope != "Contacts.ReadWrite MailboxSettings.Read openid profile" {
				t.Errorf("token answer %s", r.body)
			}
			r = e.tokenRequest("common", refreshForm(first))
			if tc.oldWorks {
				r.want(t, 200)
			} else {
				wantAAD(t, r, 400, "invalid_grant", 70000)
			}
			e.doAs(tok.AccessToken, "GET", "/me/contacts", nil).want(t, 200)
		})
	}

	t.Run("errors", func(t *testing.T) {
		e := newEnv(t, Options{})
		for _, tc := range []struct {
			name    string
			tenant  string
			form    url.Values
			status  int
			err     string
			aadstst int
		}{
			{"unknown refresh token", "common", refreshForm("nope"), 400, "invalid_grant", 9002313},
			{"no client id", "common", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.u.RefreshToken()}}, 400, "invalid_request", 900144},
			{"no grant type", "common", url.Values{"client_id": {testClientID}}, 400, "invalid_request", 900144},
			{"unsupported grant", "common", url.Values{"grant_type": {"password"}, "client_id": {testClientID}}, 400, "unsupported_grant_type", 70003},
			{"unknown tenant form", "not a tenant", refreshForm(e.u.RefreshToken()), 400, "invalid_request", 90002},
			{"another client", "common", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.u.RefreshToken()}, "client_id": {"someone-else"}}, 400, "invalid_grant", 70000},
			{"unknown scope", "common", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.u.RefreshToken()}, "client_id": {testClientID}, "scope": {"Mail.Send.All.Things"}}, 400, "invalid_scope", 70011},
			{"scope never consented", "common", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.u.RefreshToken()}, "client_id": {testClientID}, "scope": {"Contacts.ReadWrite.Shared"}}, 400, "invalid_grant", 65001},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := http.PostForm(e.s.LoginURL()+"/"+url.PathEscape(tc.tenant)+"/oauth2/v2.0/token", tc.form)
				if err != nil {
					t.Fatal(err)
				}
				wantAAD(t, readResp(t, res), tc.status, tc.err, tc.aadstst)
			})
		}
		res, err := http.Get(e.s.TokenURL("common"))
		if err != nil {
			t.Fatal(err)
		}
		wantAAD(t, readResp(t, res), 400, "invalid_request", 900561)
		for _, tenant := range []string{"consumers", "organizations", "72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.onmicrosoft.com"} {
			e.tokenRequest(tenant, refreshForm(e.u.RefreshToken())).want(t, 200)
		}
	})
}

func TestAccessTokenExpiry(t *testing.T) {
	e := newEnv(t, Options{})
	e.clock.Add(59*time.Minute + 59*time.Second)
	e.do("GET", "/me/contacts", nil).want(t, 200)
	e.clock.Add(time.Second)
	r := e.do("GET", "/me/contacts", nil)
	if g := r.wantError(t, 401, "InvalidAuthenticationToken"); g.Error.Message != "Access token has expired or is not yet valid." {
		t.Errorf("message %q", g.Error.Message)
	}
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
		t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	if g := e.doAs("", "GET", "/me/contacts", nil).wantError(t, 401, "InvalidAuthenticationToken"); g.Error.Message != "Access token is empty." {
		t.Errorf("no token: %q", g.Error.Message)
	}
	e.doAs("garbage", "GET", "/me/contacts", nil).wantError(t, 401, "InvalidAuthenticationToken")
	e.token = e.refresh()
	e.do("GET", "/me/contacts", nil).want(t, 200)
	e.s.ExpireAccessTokens()
	e.do("GET", "/me/contacts", nil).wantError(t, 401, "InvalidAuthenticationToken")
}

func TestRefreshTokenLifetimeAndRevocation(t *testing.T) {
	e := newEnv(t, Options{})
	e.clock.Add(89 * 24 * time.Hour)
	e.token = e.refresh() // each use starts a new 90 days
	e.clock.Add(90 * 24 * time.Hour)
	wantAAD(t, e.tokenRequest("common", refreshForm(e.u.RefreshToken())), 400, "invalid_grant", 700082)

	e = newEnv(t, Options{})
	e.s.RevokeRefreshTokens(e.u)
	wantAAD(t, e.tokenRequest("common", refreshForm(e.u.RefreshToken())), 400, "invalid_grant", 50173)
}

func TestClientCredentials(t *testing.T) {
	// Set up without newEnv, whose first refresh would fail here.
	s := New(Options{PublicClientFlowsDisabled: true})
	t.Cleanup(s.Close)
	s.AddUser(testRefresh)
	e := &env{t: t, s: s}
	wantAAD(t, e.tokenRequest("common", refreshForm(testRefresh)), 401, "invalid_client", 7000218)

	s = New(Options{ClientID: testClientID, ClientSecret: "s3cret"})
	t.Cleanup(s.Close)
	e = &env{t: t, s: s, u: s.AddUser(testRefresh)}
	wantAAD(t, e.tokenRequest("common", refreshForm(e.u.RefreshToken())), 401, "invalid_client", 7000218)
	f := refreshForm(e.u.RefreshToken())
	f.Set("client_secret", "wrong")
	wantAAD(t, e.tokenRequest("common", f), 401, "invalid_client", 7000215)
	f.Set("client_secret", "s3cret")
	e.tokenRequest("common", f).want(t, 200)
	f.Set("client_id", "unregistered")
	wantAAD(t, e.tokenRequest("common", f), 400, "unauthorized_client", 700016)
}

// deviceStart posts to /devicecode and returns the answer.
func (e *env) deviceStart(scope string) map[string]any {
	e.t.Helper()
	res, err := http.PostForm(e.s.DeviceAuthURL("organizations"), url.Values{"client_id": {testClientID}, "scope": {scope}})
	if err != nil {
		e.t.Fatal(err)
	}
	return readResp(e.t, res).want(e.t, 200).json(e.t)
}

func (e *env) poll(deviceCode string) *resp {
	e.t.Helper()
	return e.tokenRequest("organizations", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {testClientID}, "device_code": {deviceCode}})
}

func TestDeviceCodeFlow(t *testing.T) {
	e := newEnv(t, Options{})
	d := e.deviceStart("Contacts.ReadWrite offline_access")
	for _, k := range []string{"user_code", "device_code", "verification_uri", "expires_in", "interval", "message"} {
		if _, ok := d[k]; !ok {
			t.Errorf("no %s in %v", k, d)
		}
	}
	if _, ok := d["verification_uri_complete"]; ok || d["expires_in"] != 900.0 || d["interval"] != 5.0 {
		t.Errorf("device code answer %v (reference §8.1)", d)
	}
	code, user := d["device_code"].(string), d["user_code"].(string)
	if !strings.Contains(d["message"].(string), user) {
		t.Errorf("message %q", d["message"])
	}

	for _, step := range []struct {
		name   string
		before func() error
		err    string
		aadsts int
	}{
		{"pending", nil, "authorization_pending", 70016},
		{"pending again", nil, "authorization_pending", 70016},
		{"slow down", func() error { return e.s.SlowDownDevice(user) }, "slow_down", 70016},
		{"pending after slow down", nil, "authorization_pending", 70016},
	} {
		t.Run(step.name, func(t *testing.T) {
			if step.before != nil {
				if err := step.before(); err != nil {
					t.Fatal(err)
				}
			}
			wantAAD(t, e.poll(code), 400, step.err, step.aadsts)
		})
	}
	if err := e.s.ApproveDevice(user, e.u); err != nil {
		t.Fatal(err)
	}
	r := e.poll(code).want(t, 200)
	var tok tokenBody
	r.into(t, &tok)
	if tok.RefreshToken == "" || tok.Scope != "Contacts.ReadWrite" || tok.IDToken != "" {
		t.Errorf("tokens %s: a refresh token with offline_access, no id_token without openid", r.body)
	}
	e.doAs(tok.AccessToken, "GET", "/me/contacts", nil).want(t, 200)
	wantAAD(t, e.poll(code), 400, "invalid_grant", 54005)
	if err := e.s.ApproveDevice(user, e.u); err == nil {
		t.Errorf("approving an answered code twice")
	}

	t.Run("declined", func(t *testing.T) {
		d := e.deviceStart("Contacts.ReadWrite")
		if err := e.s.DeclineDevice(d["user_code"].(string)); err != nil {
			t.Fatal(err)
		}
		wantAAD(t, e.poll(d["device_code"].(string)), 400, "authorization_declined", 70000)
	})
	t.Run("expired", func(t *testing.T) {
		d := e.deviceStart("Contacts.ReadWrite")
		e.clock.Add(15 * time.Minute)
		wantAAD(t, e.poll(d["device_code"].(string)), 400, "expired_token", 70020)
		if err := e.s.ApproveDevice(d["user_code"].(string), e.u); err == nil {
			t.Errorf("approving an expired code")
		}
	})
	t.Run("unknown device code", func(t *testing.T) {
		wantAAD(t, e.poll("DAQABAAEAAAD--nope"), 400, "bad_verification_code", 70000)
	})
	t.Run("without offline_access there is no refresh token", func(t *testing.T) {
		d := e.deviceStart("Contacts.Read openid profile")
		_ = e.s.ApproveDevice(d["user_code"].(string), e.u)
		var tok tokenBody
		e.poll(d["device_code"].(string)).want(t, 200).into(t, &tok)
		if tok.RefreshToken != "" || tok.IDToken == "" {
			t.Errorf("refresh %q id_token %q", tok.RefreshToken, tok.IDToken)
		}
		// Contacts.Read cannot write.
		e.doAs(tok.AccessToken, "POST", "/me/contacts", person("A", "B")).wantError(t, 403, "ErrorAccessDenied")
	})
	t.Run("device code request errors", func(t *testing.T) {
		res, _ := http.PostForm(e.s.DeviceAuthURL("common"), url.Values{"client_id": {testClientID}})
		wantAAD(t, readResp(t, res), 400, "invalid_request", 900144)
		res, _ = http.PostForm(e.s.DeviceAuthURL("common"), url.Values{"client_id": {testClientID}, "scope": {"Contacts.Bogus"}})
		wantAAD(t, readResp(t, res), 400, "invalid_scope", 70011)
	})
}

func TestDevicePollInterval(t *testing.T) {
	e := newEnv(t, Options{EnforcePollInterval: true, DevicePollInterval: 2 * time.Second})
	d := e.deviceStart("Contacts.ReadWrite offline_access")
	code := d["device_code"].(string)
	if d["interval"] != 2.0 {
		t.Errorf("interval %v", d["interval"])
	}
	wantAAD(t, e.poll(code), 400, "authorization_pending", 70016)
	wantAAD(t, e.poll(code), 400, "slow_down", 70016)
	// Each slow_down adds 5 s to the interval (RFC 8628 §3.5): 7 s now.
	e.clock.Add(2 * time.Second)
	wantAAD(t, e.poll(code), 400, "slow_down", 70016)
	e.clock.Add(12 * time.Second)
	wantAAD(t, e.poll(code), 400, "authorization_pending", 70016)
}

func TestScopes(t *testing.T) {
	e := newEnv(t, Options{})
	e.u.AddCategory("Family", "preset2")
	p := e.page("/me/outlook/masterCategories")
	if len(p.Value) != 1 || p.Value[0]["displayName"] != "Family" || p.Value[0]["color"] != "preset2" {
		t.Errorf("masterCategories %v", p.Value)
	}
	// The reference's scopes alone do not reach the master category list.
	tok := e.otherAppToken("b6a0d6a4-0000-4000-8000-000000000002")
	e.doAs(tok, "GET", "/me/outlook/masterCategories", nil).wantError(t, 403, "ErrorAccessDenied")
	e.doAs(tok, "GET", "/me/contacts", nil).want(t, 200)

	other := e.s.AddUser("0.AXoA-seed-of-someone-else")
	e.do("GET", "/users/"+other.ID()+"/contacts", nil).wantError(t, 403, "ErrorAccessDenied")
	e.do("GET", "/users/nobody@contoso.onmicrosoft.com/contacts", nil).wantError(t, 404, "ErrorInvalidUser")
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	e := newEnv(t, Options{})
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	sum := sha256.Sum256([]byte(verifier))
	code := e.s.AuthorizationCode(e.u, base64.RawURLEncoding.EncodeToString(sum[:]), "https://graph.microsoft.com/Contacts.ReadWrite offline_access")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {testClientID},
		"redirect_uri": {"http://127.0.0.1:5555/"}, "code_verifier": {"wrong"}}
	wantAAD(t, e.tokenRequest("common", form), 400, "invalid_grant", 501481)
	code = e.s.AuthorizationCode(e.u, base64.RawURLEncoding.EncodeToString(sum[:]), "Contacts.ReadWrite offline_access")
	form.Set("code", code)
	form.Set("code_verifier", verifier)
	e.tokenRequest("common", form).want(t, 200)
	wantAAD(t, e.tokenRequest("common", form), 400, "invalid_grant", 70008)
}

// TestXOAuth2 checks that golang.org/x/oauth2, which the connector uses
// (reference §8.4), reads the fake's token answers and sees the rotation.
func TestXOAuth2(t *testing.T) {
	e := newEnv(t, Options{})
	conf := &oauth2.Config{ClientID: testClientID, Scopes: []string{"Contacts.ReadWrite", "offline_access"},
		Endpoint: oauth2.Endpoint{TokenURL: e.s.TokenURL("common"), DeviceAuthURL: e.s.DeviceAuthURL("common"), AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.Background()
	old := e.u.RefreshToken()
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == old || tok.RefreshToken != e.u.RefreshToken() || tok.AccessToken == "" {
		t.Errorf("x/oauth2 token %+v", tok)
	}
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if da.UserCode == "" || da.VerificationURI != "https://microsoft.com/devicelogin" || da.Interval != 5 {
		t.Errorf("device auth %+v", da)
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("a retired refresh token: %v", err)
	}
}
