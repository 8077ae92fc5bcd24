package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
)

// An Authenticator checks a user's password (HTTP Basic). It returns nil
// when it matches, ErrBadCredentials when the user is unknown or the
// password is wrong, and another error for a failure of its own.
// Implementations should compare in constant time and take as long for an
// unknown user as for a wrong password.
type Authenticator interface {
	Authenticate(ctx context.Context, user, password string) error
}

// ErrBadCredentials is what an Authenticator returns for an unknown user or
// a wrong password.
var ErrBadCredentials = errors.New("bad credentials")

// basicRealm is announced in WWW-Authenticate on every 401.
const basicRealm = `Basic realm="contactbridge", charset="UTF-8"`

// authenticate checks the request's Basic credentials, refusing without a
// check a client IP, or a user name from that IP, that failed too often. It answers the
// request itself and returns false unless the credentials are good.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	user, password, ok := r.BasicAuth()
	if !ok || user == "" {
		w.Header().Set("WWW-Authenticate", basicRealm)
		sendCode(w, http.StatusUnauthorized, codeUnknown)
		return "", false
	}
	ip := clientIP(r)
	now := s.now()
	if wait, ok := s.logins.begin(now, ip, user); !ok {
		s.log.WarnContext(r.Context(), "login refused: too many failures", "user", user, "ip", ip)
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		sendCode(w, http.StatusTooManyRequests, codeUnknown)
		return "", false
	}
	err := s.auth.Authenticate(r.Context(), user, password)
	if !errors.Is(err, ErrBadCredentials) {
		s.logins.succeeded(now, ip, user)
	}
	switch {
	case err == nil:
		return user, true
	case errors.Is(err, ErrBadCredentials):
		s.log.InfoContext(r.Context(), "login failed", "user", user, "ip", ip)
		w.Header().Set("WWW-Authenticate", basicRealm)
		sendCode(w, http.StatusUnauthorized, codeUnknown)
	default:
		s.log.ErrorContext(r.Context(), "authenticate", "user", user, "err", err)
		sendCode(w, http.StatusInternalServerError, codeUnknown)
	}
	return "", false
}

// clientIP is the address the request came from. Forwarding headers are
// not trusted: behind a proxy every client shares the proxy's address.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
