package graphtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Lifetimes of what the identity platform hands out (reference §8).
const (
	accessTokenTTL       = time.Hour
	accessTokenExpiresIn = 3599
	authCodeTTL          = 10 * time.Minute
	deviceGrantType      = "urn:ietf:params:oauth:grant-type:device_code"
	verificationURI      = "https://microsoft.com/devicelogin"
	graphAppID           = "00000003-0000-0000-c000-000000000000" // Microsoft Graph's own app id
)

// A scope is what a Graph endpoint needs from the access token.
type scope int

const (
	scopeRead            scope = iota // Contacts.Read or Contacts.ReadWrite
	scopeWrite                        // Contacts.ReadWrite
	scopeMailboxSettings              // MailboxSettings.Read(Write): outlookCategory
)

// knownScopes maps the lower-case scope names the fake knows to the form
// the token endpoint returns them in.
func knownScopes() map[string]string {
	return map[string]string{
		"contacts.read": "Contacts.Read", "contacts.readwrite": "Contacts.ReadWrite",
		"contacts.read.shared": "Contacts.Read.Shared", "contacts.readwrite.shared": "Contacts.ReadWrite.Shared",
		"mailboxsettings.read": "MailboxSettings.Read", "mailboxsettings.readwrite": "MailboxSettings.ReadWrite",
		"user.read": "User.Read", "offline_access": "offline_access", "openid": "openid", "profile": "profile", "email": "email",
	}
}

// seedScopes are the scopes behind a refresh token given to AddUser.
func seedScopes() []string {
	return []string{"contacts.readwrite", "mailboxsettings.read", "offline_access", "openid", "profile"}
}

// parseScopes normalises a space-separated scope parameter: Graph scopes
// may carry the resource ("https://graph.microsoft.com/Contacts.Read");
// ".default" stands for the app's configured permissions, taken to be
// Contacts.ReadWrite and MailboxSettings.Read. It returns the first unknown
// scope, if any.
func parseScopes(param string) (scopes []string, unknown string) {
	known := knownScopes()
	for _, sc := range strings.Fields(param) {
		low := strings.ToLower(sc)
		low = strings.TrimPrefix(low, "https://graph.microsoft.com/")
		switch {
		case low == ".default":
			scopes = append(scopes, "contacts.readwrite", "mailboxsettings.read")
		case known[low] != "":
			scopes = append(scopes, low)
		default:
			return nil, sc
		}
	}
	slices.Sort(scopes)
	return slices.Compact(scopes), ""
}

func has(scopes []string, sc string) bool { return slices.Contains(scopes, sc) }

// scopeString is the granted scopes as the token endpoint returns them:
// without offline_access, which only shows in the refresh token
// (reference §8.1 success example: "User.Read profile openid email").
func scopeString(scopes []string) string {
	known := knownScopes()
	var out []string
	for _, sc := range scopes {
		if sc != "offline_access" {
			out = append(out, known[sc])
		}
	}
	return strings.Join(out, " ")
}

type accessToken struct {
	u       *User
	app     string // client id: throttling is per app and mailbox
	scopes  []string
	expires time.Time
	revoked bool // ExpireAccessTokens
}

// allows reports whether the token grants what sc needs.
func (t *accessToken) allows(sc scope) bool {
	switch sc {
	case scopeRead:
		return has(t.scopes, "contacts.read") || has(t.scopes, "contacts.readwrite")
	case scopeWrite:
		return has(t.scopes, "contacts.readwrite")
	case scopeMailboxSettings:
		return has(t.scopes, "mailboxsettings.read") || has(t.scopes, "mailboxsettings.readwrite")
	}
	return false
}

type refreshToken struct {
	u       *User
	app     string // "" for a token given to AddUser: any client
	scopes  []string
	expires time.Time // inactivity limit
	used    bool      // exchanged once: rotated away (reference §8.3)
	revoked bool
}

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDeclined
	deviceRedeemed
)

type deviceAuth struct {
	deviceCode string
	userCode   string
	app        string
	scopes     []string
	expires    time.Time
	interval   time.Duration
	lastPoll   time.Time
	slowDowns  int // SlowDownDevice arms these
	state      deviceState
	u          *User
}

type authCode struct {
	u         *User
	scopes    []string
	challenge string
	expires   time.Time
}

// aadError is an error of the identity platform's token endpoints: the
// RFC 6749 pair plus AADSTS codes, trace and correlation ids (reference
// §8.1: {"error":"authorization_pending","error_description":"AADSTS70016:
// …","error_codes":[70016],…}).
type aadError struct {
	status  int
	code    string
	aadsts  int
	message string
}

func (s *Server) writeAAD(w http.ResponseWriter, e aadError) {
	now := s.now().UTC()
	trace, corr := newUUID(), newUUID()
	ts := now.Format("2006-01-02 15:04:05Z")
	body := object{
		{"error", e.code},
		{"error_description", fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.aadsts, e.message, trace, corr, ts)},
		{"error_codes", []int{e.aadsts}},
		{"timestamp", ts},
		{"trace_id", trace},
		{"correlation_id", corr},
		{"error_uri", s.base + fmt.Sprintf("/error?code=%d", e.aadsts)},
	}
	writeLoginJSON(w, e.status, body)
}

func writeLoginJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(marshal(v))
}

func missingParam(name string) aadError {
	return aadError{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: '" + name + "'."}
}

// validTenant accepts the tenant forms of reference §8.1: common,
// consumers, organizations, a tenant id (GUID) or a domain name.
func validTenant(t string) bool {
	switch strings.ToLower(t) {
	case "common", "consumers", "organizations":
		return true
	}
	if len(t) == 36 && strings.Count(t, "-") == 4 {
		return true
	}
	return strings.Contains(t, ".") && !strings.ContainsAny(t, "/ ")
}

// client checks the method, tenant and client credentials every token
// endpoint request carries and returns the client id.
func (s *Server) client(r *http.Request, tenant string, token bool) (string, *aadError) {
	if r.Method != http.MethodPost {
		return "", &aadError{http.StatusBadRequest, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a " + r.Method + " request."}
	}
	if !validTenant(tenant) {
		return "", &aadError{http.StatusBadRequest, "invalid_request", 90002, "Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."}
	}
	if err := r.ParseForm(); err != nil {
		return "", &aadError{http.StatusBadRequest, "invalid_request", 900144, "The request body must be form-encoded."}
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if bid, bsecret, ok := r.BasicAuth(); ok {
		id, secret = bid, bsecret
	}
	if id == "" {
		e := missingParam("client_id")
		return "", &e
	}
	if s.opts.ClientID != "" && id != s.opts.ClientID {
		return "", &aadError{http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '" + id + "' was not found in the directory '" + tenant + "'."}
	}
	if !token {
		return id, nil
	}
	switch {
	case s.opts.ClientSecret != "" && secret != "" && secret != s.opts.ClientSecret:
		return "", &aadError{http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."}
	case secret == "" && (s.opts.ClientSecret != "" || s.opts.PublicClientFlowsDisabled):
		// Reference §8.1: "Allow public client flows" = No.
		return "", &aadError{http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	}
	return id, nil
}

// token serves POST /{tenant}/oauth2/v2.0/token: the refresh_token,
// device_code and authorization_code (with PKCE) grants (reference §8).
func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string) {
	app, cerr := s.client(r, tenant, true)
	if cerr != nil {
		s.writeAAD(w, *cerr)
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		u      *User
		scopes []string
		aerr   *aadError
	)
	switch gt := f.Get("grant_type"); gt {
	case "refresh_token":
		u, scopes, aerr = s.refreshGrant(f.Get("refresh_token"), f.Get("scope"), app)
	case deviceGrantType:
		u, scopes, aerr = s.deviceGrant(f.Get("device_code"), app)
	case "authorization_code":
		u, scopes, aerr = s.codeGrant(f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier"))
	case "":
		e := missingParam("grant_type")
		aerr = &e
	default:
		aerr = &aadError{http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '" + gt + "'."}
	}
	if aerr != nil {
		s.writeAAD(w, *aerr)
		return
	}
	writeLoginJSON(w, http.StatusOK, s.issue(u, app, scopes))
}

// issue makes the success answer: an access token for an hour on the
// clock and, with offline_access, a new refresh token (reference §8.1,
// §8.3). Callers hold s.mu.
func (s *Server) issue(u *User, app string, scopes []string) object {
	now := s.now()
	at := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + randomToken(160) + "." + randomToken(86)
	s.access[at] = &accessToken{u: u, app: app, scopes: scopes, expires: now.Add(accessTokenTTL)}
	resp := object{
		{"token_type", "Bearer"},
		{"scope", scopeString(scopes)},
		{"expires_in", accessTokenExpiresIn},
		{"ext_expires_in", accessTokenExpiresIn},
		{"access_token", at},
	}
	if has(scopes, "offline_access") {
		rt := "0.AXoA" + randomToken(220)
		s.refresh[rt] = &refreshToken{u: u, app: app, scopes: scopes, expires: now.Add(s.opts.RefreshTokenTTL)}
		u.refreshTok = rt
		resp = append(resp, member{"refresh_token", rt})
	}
	if has(scopes, "openid") {
		resp = append(resp, member{"id_token", idToken(u, app, s.base, now)})
	}
	return resp
}

// idToken is an unsigned JWT with the claims a client may read.
func idToken(u *User, app, issuer string, now time.Time) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"none"}`))
	claims := enc.EncodeToString(marshal(object{
		{"aud", app}, {"iss", issuer + "/v2.0"}, {"iat", now.Unix()}, {"exp", now.Add(accessTokenTTL).Unix()},
		{"name", u.name}, {"oid", u.id}, {"preferred_username", u.upn}, {"sub", u.id}, {"ver", "2.0"},
	}))
	return head + "." + claims + "."
}

// refreshGrant checks a refresh token and retires it: every use returns a
// new one and, unless OldRefreshTokensStayValid, the old one stops
// working (reference §8.3). Callers hold s.mu.
func (s *Server) refreshGrant(token, scopeParam, app string) (*User, []string, *aadError) {
	now := s.now()
	if token == "" {
		e := missingParam("refresh_token")
		return nil, nil, &e
	}
	rt := s.refresh[token]
	switch {
	case rt == nil:
		return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."}
	case rt.revoked:
		return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password."}
	case rt.used && !s.opts.OldRefreshTokensStayValid:
		return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 70000, "Provided grant is invalid or malformed: the refresh token was already exchanged for a new one."}
	case !now.Before(rt.expires):
		return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on " +
			rt.expires.Add(-s.opts.RefreshTokenTTL).UTC().Format(time.RFC3339) + " and was inactive for " + s.opts.RefreshTokenTTL.String() + "."}
	case rt.app != "" && rt.app != app:
		return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 70000, "Provided grant is invalid or malformed: the refresh token was issued to another client."}
	}
	scopes := rt.scopes
	if scopeParam != "" {
		asked, unknown := parseScopes(scopeParam)
		if unknown != "" {
			return nil, nil, &aadError{http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope '" + unknown + "' does not exist."}
		}
		for _, sc := range asked {
			if !has(rt.scopes, sc) {
				return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '" + app + "'. Send an interactive authorization request for this user and resource."}
			}
		}
		scopes = append(asked, "offline_access")
		slices.Sort(scopes)
		scopes = slices.Compact(scopes)
	}
	rt.used = true
	return rt.u, scopes, nil
}

// deviceGrant answers a device-code poll (reference §8.1). Callers hold
// s.mu.
func (s *Server) deviceGrant(code, app string) (*User, []string, *aadError) {
	now := s.now()
	if code == "" {
		e := missingParam("device_code")
		return nil, nil, &e
	}
	d := s.devices[code]
	switch {
	case d == nil || d.app != app:
		return nil, nil, &aadError{http.StatusBadRequest, "bad_verification_code", 70000, "The device_code sent to the /token endpoint wasn't recognized."}
	case d.state == deviceRedeemed:
		return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
	case !now.Before(d.expires):
		return nil, nil, &aadError{http.StatusBadRequest, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired."}
	case d.state == deviceDeclined:
		return nil, nil, &aadError{http.StatusBadRequest, "authorization_declined", 70000, "The end user denied the authorization request."}
	case d.state == deviceApproved:
		d.state = deviceRedeemed
		return d.u, d.scopes, nil
	}
	tooSoon := s.opts.EnforcePollInterval && !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < d.interval
	d.lastPoll = now
	if d.slowDowns > 0 || tooSoon {
		if d.slowDowns > 0 {
			d.slowDowns--
		}
		d.interval += 5 * time.Second
		return nil, nil, &aadError{http.StatusBadRequest, "slow_down", 70016, "OAuth 2.0 device flow error. Polling too frequently: slow down."}
	}
	return nil, nil, &aadError{http.StatusBadRequest, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
}

// codeGrant redeems an authorization code from AuthorizationCode. Callers
// hold s.mu.
func (s *Server) codeGrant(code, redirect, verifier string) (*User, []string, *aadError) {
	if code == "" {
		e := missingParam("code")
		return nil, nil, &e
	}
	if redirect == "" {
		e := missingParam("redirect_uri")
		return nil, nil, &e
	}
	ac := s.codes[code]
	if ac == nil || !s.now().Before(ac.expires) {
		return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
	}
	// A code is spent by its first exchange, successful or not.
	delete(s.codes, code)
	if ac.challenge != "" {
		if verifier == "" {
			e := missingParam("code_verifier")
			return nil, nil, &e
		}
		sum := sha256.Sum256([]byte(verifier))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.challenge)) != 1 {
			return nil, nil, &aadError{http.StatusBadRequest, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."}
		}
	}
	return ac.u, ac.scopes, nil
}

// AuthorizationCode returns a one-time authorization code for u, as the
// consent page would hand it to the loopback redirect of the auth code +
// PKCE flow (reference §8.2). scope is the authorization URL's scope
// parameter; codeChallenge its S256 code_challenge, or "" for none. The
// code expires after ten minutes. It returns "" for an unknown scope.
func (s *Server) AuthorizationCode(u *User, codeChallenge, scope string) string {
	scopes, unknown := parseScopes(scope)
	if unknown != "" {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	code := "0.AXoA" + randomToken(120)
	s.codes[code] = &authCode{u: u, scopes: scopes, challenge: codeChallenge, expires: s.now().Add(authCodeTTL)}
	return code
}

// deviceCode serves POST /{tenant}/oauth2/v2.0/devicecode (reference
// §8.1): a device code that stays pending until ApproveDevice or
// DeclineDevice, or expires.
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request, tenant string) {
	app, cerr := s.client(r, tenant, false)
	if cerr != nil {
		s.writeAAD(w, *cerr)
		return
	}
	param := r.PostForm.Get("scope")
	if param == "" {
		s.writeAAD(w, missingParam("scope"))
		return
	}
	scopes, unknown := parseScopes(param)
	if unknown != "" {
		s.writeAAD(w, aadError{http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope '" + unknown + "' does not exist."})
		return
	}
	s.mu.Lock()
	d := &deviceAuth{deviceCode: "DAQABAAEAAAD--DLA3VO7QrddgJg7WevrAgA" + randomToken(160), userCode: s.newUserCode(),
		app: app, scopes: scopes, expires: s.now().Add(s.opts.DeviceCodeTTL), interval: s.opts.DevicePollInterval}
	s.devices[d.deviceCode] = d
	s.mu.Unlock()
	writeLoginJSON(w, http.StatusOK, object{
		{"user_code", d.userCode},
		{"device_code", d.deviceCode},
		{"verification_uri", verificationURI},
		{"expires_in", int(s.opts.DeviceCodeTTL / time.Second)},
		{"interval", int(s.opts.DevicePollInterval / time.Second)},
		{"message", "To sign in, use a web browser to open the page " + verificationURI + " and enter the code " + d.userCode + " to authenticate."},
	})
}

// newUserCode makes a nine-character user code. Callers hold s.mu.
func (s *Server) newUserCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	for {
		raw := []byte(randomToken(9))
		for i, b := range raw {
			raw[i] = alphabet[int(b)%len(alphabet)]
		}
		if s.deviceByUserCode(string(raw)) == nil {
			return string(raw)
		}
	}
}

func (s *Server) deviceByUserCode(userCode string) *deviceAuth {
	for _, d := range s.devices {
		if strings.EqualFold(d.userCode, userCode) {
			return d
		}
	}
	return nil
}

// pendingDevice finds the pending, unexpired device authorization whose
// user code is userCode. Callers hold s.mu.
func (s *Server) pendingDevice(op, userCode string) (*deviceAuth, error) {
	d := s.deviceByUserCode(userCode)
	switch {
	case d == nil:
		return nil, fmt.Errorf("graphtest: %s %s: no such user code", op, userCode)
	case !s.now().Before(d.expires):
		return nil, fmt.Errorf("graphtest: %s %s: the device code expired at %s", op, userCode, d.expires.UTC().Format(time.RFC3339))
	case d.state != devicePending:
		return nil, fmt.Errorf("graphtest: %s %s: already answered", op, userCode)
	}
	return d, nil
}

// ApproveDevice signs u in on the verification page with userCode and
// consents to the scopes the device asked for: the next poll of its device
// code gets tokens for u's mailbox.
func (s *Server) ApproveDevice(userCode string, u *User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.pendingDevice("ApproveDevice", userCode)
	if err != nil {
		return err
	}
	d.state, d.u = deviceApproved, u
	return nil
}

// DeclineDevice declines the request with userCode on the verification
// page: the next poll gets authorization_declined (reference §8.1).
func (s *Server) DeclineDevice(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.pendingDevice("DeclineDevice", userCode)
	if err != nil {
		return err
	}
	d.state = deviceDeclined
	return nil
}

// SlowDownDevice makes the next poll of the pending request with userCode
// answer slow_down, and adds five seconds to its interval as RFC 8628
// asks.
func (s *Server) SlowDownDevice(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.pendingDevice("SlowDownDevice", userCode)
	if err != nil {
		return err
	}
	d.slowDowns++
	return nil
}

// ExpireAccessTokens makes every access token issued so far answer 401
// InvalidAuthenticationToken, as once an hour has passed.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		t.revoked = true
	}
}

// RevokeRefreshTokens revokes every refresh token of u, as a password
// change or an administrator would: the next refresh is answered
// invalid_grant and the client must sign in again.
func (s *Server) RevokeRefreshTokens(u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.refresh {
		if rt.u == u {
			rt.revoked = true
		}
	}
}

// authenticate finds the access token of c's Authorization header, or
// gives Graph's 401 InvalidAuthenticationToken for a missing, unknown or
// expired one.
func (s *Server) authenticate(c *call) *graphError {
	h := c.header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	msg := msgTokenInvalid
	if h == "" {
		msg = msgTokenEmpty
	}
	if strings.EqualFold(scheme, "Bearer") {
		s.mu.Lock()
		t := s.access[strings.TrimSpace(tok)]
		valid := t != nil && !t.revoked && c.now.Before(t.expires)
		s.mu.Unlock()
		switch {
		case valid:
			c.tok = t
			return nil
		case t != nil:
			msg = msgTokenExpired
		}
	}
	e := newError(http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
	e.header = http.Header{"Www-Authenticate": {`Bearer realm="", authorization_uri="` + s.base +
		`/common/oauth2/authorize", client_id="` + graphAppID + `"`}}
	return e
}
