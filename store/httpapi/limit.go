package httpapi

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// LoginLimit bounds failed logins. Once Max logins of one user name from
// one client IP failed within one Window, further attempts of that name
// from that IP are answered 429 with Retry-After, without checking the
// password, until the window ends; so are all attempts from an IP once
// Max × IPFactor logins from it failed, whatever the names. A login in
// progress counts as failed until it succeeds, so that a burst of
// concurrent attempts cannot get past the limit. A name alone is never
// blocked: anyone could otherwise lock a user out. Behind a proxy every
// client has the proxy's IP. The zero value allows 10 failures per name
// and 100 per IP a minute.
type LoginLimit struct {
	// Max is the number of failures a window allows per user name and IP
	// (0: 10). Negative turns the limit off.
	Max int
	// Window is the length of a window (0: one minute).
	Window time.Duration
}

// IPFactor is how many times Max an IP may fail in a window across user
// names.
const IPFactor = 10

// Defaults of LoginLimit.
const (
	defaultLoginMax    = 10
	defaultLoginWindow = time.Minute
	// sweepAt is the number of tracked keys beyond which a failure first
	// drops the keys whose window ended, so that the maps stay bounded by
	// the failures of one window.
	sweepAt = 4096
)

// loginLimiter counts failed logins in fixed windows per client IP and
// per (IP, user name).
type loginLimiter struct {
	max    int
	window time.Duration

	mu    sync.Mutex
	ips   map[string]*failures
	pairs map[string]*failures
}

// failures counts the failed logins of one key in the window from start.
type failures struct {
	start time.Time
	n     int
}

func newLoginLimiter(l LoginLimit) (*loginLimiter, error) {
	if l.Window < 0 {
		return nil, fmt.Errorf("LoginLimit.Window is %v, want 0 or more", l.Window)
	}
	lim := &loginLimiter{max: l.Max, window: l.Window, ips: map[string]*failures{}, pairs: map[string]*failures{}}
	if lim.max == 0 {
		lim.max = defaultLoginMax
	}
	if lim.window == 0 {
		lim.window = defaultLoginWindow
	}
	return lim, nil
}

// begin starts a login of user from ip: it reports how many seconds to
// wait when the pair or the IP used up its failures, else counts the
// attempt as failed until succeeded says otherwise.
func (l *loginLimiter) begin(now time.Time, ip, user string) (int, bool) {
	if l.max < 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var until time.Time
	for _, c := range []struct {
		f   *failures
		max int
	}{{l.pairs[pairKey(ip, user)], l.max}, {l.ips[ip], l.max * IPFactor}} {
		if f := c.f; f != nil && f.n >= c.max && now.Before(f.start.Add(l.window)) {
			if end := f.start.Add(l.window); end.After(until) {
				until = end
			}
		}
	}
	if !until.IsZero() {
		return int(math.Ceil(until.Sub(now).Seconds())), false
	}
	l.count(l.ips, ip, now, 1)
	l.count(l.pairs, pairKey(ip, user), now, 1)
	return 0, true
}

// succeeded takes back the attempt begin counted, for a login that did not
// fail (good credentials, or a failure of the authenticator's own).
func (l *loginLimiter) succeeded(now time.Time, ip, user string) {
	if l.max < 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count(l.ips, ip, now, -1)
	l.count(l.pairs, pairKey(ip, user), now, -1)
}

// pairKey is the key of a user name from an IP.
func pairKey(ip, user string) string { return ip + "\x00" + user }

// count adds d to key's failures in the current window; taking back from
// a window that ended (or a key swept away) does nothing.
func (l *loginLimiter) count(m map[string]*failures, key string, now time.Time, d int) {
	f := m[key]
	if d < 0 {
		if f != nil && now.Before(f.start.Add(l.window)) && f.n > 0 {
			f.n += d
		}
		return
	}
	if f == nil || !now.Before(f.start.Add(l.window)) {
		if len(m) >= sweepAt {
			for k, g := range m {
				if !now.Before(g.start.Add(l.window)) {
					delete(m, k)
				}
			}
		}
		f = &failures{start: now}
		m[key] = f
	}
	f.n += d
}
