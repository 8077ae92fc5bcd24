package graphtest

import (
	"net/http"
	"time"
)

// appUsage is what one app (client id) uses of one mailbox's Outlook
// limits, evaluated per app ID + mailbox (reference §6).
type appUsage struct {
	inflight    int
	rateWindow  int64 // index of the current rate window
	rateUsed    int
	upWindow    int64 // index of the current upload window
	uploadBytes int64
}

// usageOf returns app's usage of u. Callers hold s.mu.
func (u *User) usageOf(app string) *appUsage {
	us := u.usage[app]
	if us == nil {
		us = &appUsage{rateWindow: -1, upWindow: -1}
		u.usage[app] = us
	}
	return us
}

// injected consumes one failure armed by Fail or FailBatchItems.
func (s *Server) injected(f *failure) *graphError {
	s.mu.Lock()
	defer s.mu.Unlock()
	fl, ok := takeFailure(f)
	if !ok {
		return nil
	}
	return statusError(fl.status, fl.wait)
}

// errConcurrency is the answer to a request past the concurrent-request
// limit (reference §6: 429 ApplicationThrottled, "Application is over its
// MailboxConcurrency limit.", with Retry-After).
func (s *Server) errConcurrency() *graphError {
	e := newError(s.opts.ConcurrencyStatus, "ApplicationThrottled", msgMailboxConcurrency)
	e.header = retryAfter(s.opts.ConcurrencyRetryAfter)
	return e
}

// acquire takes up to n concurrency slots of u for app and returns how many
// it got.
func (s *Server) acquire(u *User, app string, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	us := u.usageOf(app)
	if s.opts.ConcurrentRequests > 0 {
		n = max(0, min(n, s.opts.ConcurrentRequests-us.inflight))
	}
	us.inflight += n
	return n
}

func (s *Server) release(u *User, app string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.usageOf(app).inflight -= n
}

// charge counts c against the request-rate and upload limits of its app
// on its mailbox (reference §6), all or nothing: a request over either is
// answered 429 TooManyRequests with the Retry-After until the window ends,
// and is not counted.
func (s *Server) charge(c *call) *graphError {
	s.mu.Lock()
	defer s.mu.Unlock()
	us := c.u.usageOf(c.tok.app)
	now := c.now.UnixNano()
	rateIdx := now / int64(s.opts.RateWindow)
	if us.rateWindow != rateIdx {
		us.rateWindow, us.rateUsed = rateIdx, 0
	}
	if s.opts.RateLimit > 0 && us.rateUsed >= s.opts.RateLimit {
		return errTooManyRequests(time.Duration((rateIdx+1)*int64(s.opts.RateWindow) - now))
	}
	var upload int64
	switch c.method {
	case http.MethodPost, http.MethodPatch, http.MethodPut:
		upload = int64(len(c.body))
	}
	upIdx := now / int64(s.opts.UploadWindow)
	if us.upWindow != upIdx {
		us.upWindow, us.uploadBytes = upIdx, 0
	}
	if s.opts.UploadLimit > 0 && upload > 0 && us.uploadBytes+upload > s.opts.UploadLimit {
		return errTooManyRequests(time.Duration((upIdx+1)*int64(s.opts.UploadWindow) - now))
	}
	us.rateUsed++
	us.uploadBytes += upload
	return nil
}
