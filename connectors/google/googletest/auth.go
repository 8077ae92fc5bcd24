package googletest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Lifetimes of what the token endpoint hands out.
const (
	accessTokenTTL = time.Hour
	// Google states access tokens live an hour and says expires_in 3599.
	accessTokenExpiresIn = 3599
	authCodeTTL          = 10 * time.Minute
	contactsScope        = "https://www.googleapis.com/auth/contacts"
)

type accessToken struct {
	u       *User
	expires time.Time
	revoked bool // ExpireAccessTokens
}

type authCode struct {
	u         *User
	challenge string // S256 code challenge; "" without PKCE
	expires   time.Time
}

// AuthorizationCode returns a one-time authorization code for the user whose
// refresh token is refreshTokenOfUser, as Google's consent page would hand it
// to the loopback redirect. codeChallenge is the PKCE S256 challenge the
// client put in the authorization URL (oauth2.S256ChallengeFromVerifier);
// exchanging the code then requires the matching code_verifier. An empty
// challenge makes a code without PKCE. The code expires after ten minutes.
// It returns "" when no such user exists.
func (s *Server) AuthorizationCode(refreshTokenOfUser, codeChallenge string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[refreshTokenOfUser]
	if u == nil {
		return ""
	}
	code := "4/0" + randomToken(30)
	s.codes[code] = &authCode{u: u, challenge: codeChallenge, expires: s.now().Add(authCodeTTL)}
	return code
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
}

// tokenError is an RFC 6749 §5.2 error as Google's token endpoint words it.
type tokenError struct {
	status      int
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func (e *tokenError) write(w http.ResponseWriter) {
	out, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	w.WriteHeader(e.status)
	_, _ = w.Write(out)
}

// token serves the OAuth 2.0 token endpoint: grant_type=refresh_token and
// grant_type=authorization_code with a PKCE code_verifier (reference §8).
// Client credentials are accepted in the form (AuthStyleInParams, what
// Google's endpoint is configured with) or as HTTP Basic.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		(&tokenError{http.StatusMethodNotAllowed, "invalid_request", "Method not allowed"}).write(w)
		return
	}
	if err := r.ParseForm(); err != nil {
		(&tokenError{http.StatusBadRequest, "invalid_request", "Invalid request"}).write(w)
		return
	}
	clientID, clientSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if id, secret, ok := r.BasicAuth(); ok {
		clientID, clientSecret = id, secret
	}
	if clientID == "" {
		(&tokenError{http.StatusBadRequest, "invalid_request", "Could not determine client ID from request."}).write(w)
		return
	}
	if s.opts.ClientID != "" && clientID != s.opts.ClientID {
		(&tokenError{http.StatusUnauthorized, "invalid_client", "The OAuth client was not found."}).write(w)
		return
	}
	if s.opts.ClientSecret != "" && clientSecret != s.opts.ClientSecret {
		(&tokenError{http.StatusUnauthorized, "invalid_client", "Unauthorized"}).write(w)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var u *User
	withRefresh := false
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "refresh_token":
		u = s.users[r.PostForm.Get("refresh_token")]
		if u == nil {
			(&tokenError{http.StatusBadRequest, "invalid_grant", "Bad Request"}).write(w)
			return
		}
		if s.opts.RefreshTokenTTL > 0 && !now.Before(u.consentAt.Add(s.opts.RefreshTokenTTL)) {
			(&tokenError{http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked."}).write(w)
			return
		}
	case "authorization_code":
		code := r.PostForm.Get("code")
		ac := s.codes[code]
		if ac == nil || !now.Before(ac.expires) {
			(&tokenError{http.StatusBadRequest, "invalid_grant", "Bad Request"}).write(w)
			return
		}
		// A code is spent by its first exchange, successful or not.
		delete(s.codes, code)
		if ac.challenge != "" {
			verifier := r.PostForm.Get("code_verifier")
			if verifier == "" {
				(&tokenError{http.StatusBadRequest, "invalid_grant", "Missing code verifier."}).write(w)
				return
			}
			sum := sha256.Sum256([]byte(verifier))
			got := base64.RawURLEncoding.EncodeToString(sum[:])
			if subtle.ConstantTimeCompare([]byte(got), []byte(ac.challenge)) != 1 {
				(&tokenError{http.StatusBadRequest, "invalid_grant", "Invalid code verifier."}).write(w)
				return
			}
		}
		u, withRefresh = ac.u, true
		u.consentAt = now
	case "":
		(&tokenError{http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "}).write(w)
		return
	default:
		(&tokenError{http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: " + gt}).write(w)
		return
	}

	tok := "ya29." + randomToken(96)
	s.tokens[tok] = &accessToken{u: u, expires: now.Add(accessTokenTTL)}
	resp := tokenResponse{AccessToken: tok, ExpiresIn: accessTokenExpiresIn, Scope: contactsScope, TokenType: "Bearer"}
	if withRefresh {
		resp.RefreshToken = u.refreshToken
	}
	out, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	_, _ = w.Write(out)
}

// authenticate finds the user behind the request's bearer token, or gives
// Google's 401 for a missing, unknown or expired one.
func (s *Server) authenticate(r *http.Request) (*User, *apiError) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") {
		return nil, &apiError{code: http.StatusUnauthorized, status: "UNAUTHENTICATED", message: msgMissingCredentials,
			details: []any{errorInfo("CREDENTIALS_MISSING", "googleapis.com", map[string]string{"service": peopleDomain})},
			header:  http.Header{"Www-Authenticate": []string{`Bearer realm="https://accounts.google.com/"`}}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[strings.TrimSpace(tok)]
	if t != nil && !t.revoked && s.now().Before(t.expires) {
		return t.u, nil
	}
	e := &apiError{code: http.StatusUnauthorized, status: "UNAUTHENTICATED", message: msgInvalidCredentials,
		header: http.Header{"Www-Authenticate": []string{`Bearer realm="https://accounts.google.com/", error="invalid_token"`}}}
	if t != nil {
		e.details = []any{errorInfo("ACCESS_TOKEN_EXPIRED", "googleapis.com", map[string]string{"service": peopleDomain})}
	}
	return nil, e
}

// randomToken returns n base64url characters of randomness.
func randomToken(n int) string {
	b := make([]byte, (n*6+7)/8)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
