package connectors

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A RetryPolicy says how an HTTP connector retries a request that failed in a
// way worth retrying (see RetryableStatus and RetryableError): how often,
// and how long it waits in between. The zero value means the defaults.
type RetryPolicy struct {
	// Attempts bounds the tries of one request, the first included
	// (default 5).
	Attempts int
	// BaseDelay is the ceiling of the first backoff; it doubles with each
	// retry up to MaxDelay (defaults 500 ms and 30 s). The wait is drawn
	// uniformly below the ceiling ("full jitter"), so that clients failing
	// together do not retry together.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter is the longest Retry-After a connector waits for
	// within one call (default 2 minutes). A server asking for more gets
	// the error back at once, marked transient, so the bridge tries again
	// on a later run instead of holding the run.
	MaxRetryAfter time.Duration
}

// WithDefaults returns p with its zero fields set to the defaults.
func (p RetryPolicy) WithDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 2 * time.Minute
	}
	return p
}

// Backoff returns how long to wait before retry number retry (1 for the
// first retry): a random duration below min(MaxDelay, BaseDelay·2^(retry-1)).
func (p RetryPolicy) Backoff(retry int) time.Duration {
	p = p.WithDefaults()
	ceiling := p.BaseDelay
	for i := 1; i < retry && ceiling < p.MaxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.MaxDelay)
	return rand.N(ceiling) + 1
}

// Delay returns how long to wait before retry number retry of a request
// answered with header h (nil after a network error): the server's
// Retry-After when it sent one, else Backoff. ok is false when the server
// asks for a wait longer than MaxRetryAfter: the caller should give up for
// now.
func (p RetryPolicy) Delay(retry int, h http.Header, now time.Time) (d time.Duration, ok bool) {
	p = p.WithDefaults()
	if ra, found := RetryAfter(h, now); found {
		if ra > p.MaxRetryAfter {
			return ra, false
		}
		return ra, true
	}
	return p.Backoff(retry), true
}

// RetryAfter reads the Retry-After header of h, given in seconds or as an
// HTTP date, as a duration from now (never negative). found is false when
// the header is missing or unreadable.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, found bool) {
	if h == nil {
		return 0, false
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		const maxSecs = int64(365 * 24 * 3600)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// RetryableStatus reports whether an HTTP answer with status code is worth
// retrying: 429 Too Many Requests and the 5xx a server or proxy returns when
// it is overloaded or restarting (500, 502, 503, 504). Other 5xx (501 Not
// Implemented, 507 Insufficient Storage…) do not go away by asking again.
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RetryableError reports whether err, from sending a request or reading its
// answer, is a network failure worth retrying for an idempotent request: a
// timeout, a reset or refused connection, an answer cut short. A cancelled
// or expired context is never retryable: the caller gave up.
func RetryableError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// Only a per-attempt timeout reaches here; callers check their own
		// context first.
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// SleepContext waits for d or until ctx is done, whichever comes first, and
// returns ctx's error in the second case.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
