package httpapi

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// LoginLimit bounds failed logins. Once Max logins failed within one Window
// from a client IP, or for a user name, further attempts from that IP or for
// that name are answered 429 with Retry-After, without checking the
// password, until the window ends. The zero value allows 10 failures a
// minute.
type LoginLimit struct {
	// Max is the number of failures a window allows (0: 10). Negative
	// turns the limit off.
	Max int
	// Window is the length of a window (0: one minute).
	Window time.Duration
}

// Defaults of LoginLimit.
const (
	defaultLoginMax    = 10
	defaultLoginWindow = time.Minute
	// sweepAt is the number of tracked keys beyond which a failure first
	// drops the keys whose window ended, so that the maps stay bounded by
	// the failures of one window.
	sweepAt = 4096
)

// loginLimiter counts failed logins in fixed windows per client IP and per
// user name.
type loginLimiter struct {
	max    int
	window time.Duration

	mu    sync.Mutex
	ips   map[string]*failures
	users map[string]*failures
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
	lim := &loginLimiter{max: l.Max, window: l.Window, ips: map[string]*failures{}, users: map[string]*failures{}}
	if lim.max == 0 {
		lim.max = defaultLoginMax
	}
	if lim.window == 0 {
		lim.window = defaultLoginWindow
	}
	return lim, nil
}

// blocked reports whether ip or user used up its failures, and how many
// seconds remain until the later of their windows ends.
func (l *loginLimiter) blocked(now time.Time, ip, user string) (int, bool) {
	if l.max < 0 {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var until time.Time
	for _, f := range []*failures{l.ips[ip], l.users[user]} {
		if f != nil && f.n >= l.max && now.Before(f.start.Add(l.window)) {
			if end := f.start.Add(l.window); end.After(until) {
				until = end
			}
		}
	}
	if until.IsZero() {
		return 0, false
	}
	return int(math.Ceil(until.Sub(now).Seconds())), true
}

// failed records a failed login from ip for user.
func (l *loginLimiter) failed(now time.Time, ip, user string) {
	if l.max < 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count(l.ips, ip, now)
	l.count(l.users, user, now)
}

func (l *loginLimiter) count(m map[string]*failures, key string, now time.Time) {
	f := m[key]
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
	f.n++
}
