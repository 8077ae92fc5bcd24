package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

// maxResponseBytes bounds a response body: a page of records the server's
// own limits allow, with room to spare.
const maxResponseBytes = 512 << 20

// A call is one request to the server.
type call struct {
	op     string // for errors: "get contacts/abc"
	user   string
	method string
	path   string // below the user's root, escaped: "storage/contacts/a%20b"
	query  url.Values
	header http.Header
	body   []byte
	ctype  string
	// safe: the request may be sent again after a network error or a 5xx
	// (reads, PUT and DELETE, which end in the same state however often
	// they are applied). Every request is sent again after 503 or 429,
	// which say it was not carried out.
	safe bool
}

// A response is a server's answer, body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// lastModified is the response's X-Last-Modified, or 0.
func (r *response) lastModified() store.Timestamp {
	ts, err := store.ParseTimestamp(r.header.Get("X-Last-Modified"))
	if err != nil {
		return 0
	}
	return ts
}

// respcode is the Sync error code of an error body ("14"), or -1.
func (r *response) respcode() int {
	n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(string(r.body)), `"`))
	if err != nil {
		return -1
	}
	return n
}

// url is the request URL of c.
func (s *Store) url(c *call) string {
	u := *s.base
	u.RawPath = s.base.EscapedPath() + url.PathEscape(c.user) + "/" + c.path
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = c.query.Encode()
	return u.String()
}

// itemPath is the escaped path of a record.
func itemPath(collection, id string) string {
	return "storage/" + collection + "/" + url.PathEscape(id)
}

// do sends c, waiting and sending it again while the server is busy, and
// returns the server's answer whatever its status; it fails only when no
// answer came, or the server stayed busy.
func (s *Store) do(ctx context.Context, c *call) (*response, error) {
	if c.user == "" {
		return nil, fmt.Errorf("remote: %s: empty user: %w", c.op, store.ErrInvalid)
	}
	s.mu.Lock()
	closed, wait := s.closed, time.Until(s.backoff)
	s.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("remote: %s: store closed", c.op)
	}
	if wait > 0 {
		if err := s.sleep(ctx, min(wait, s.opts.MaxWait)); err != nil {
			return nil, fmt.Errorf("remote: %s: %w", c.op, err)
		}
	}
	creds := Credentials{}
	if s.opts.Credentials != nil {
		var err error
		if creds, err = s.opts.Credentials(c.user); err != nil {
			return nil, fmt.Errorf("remote: %s: credentials: %w", c.op, err)
		}
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		r, err := s.send(ctx, c, creds)
		var delay time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("remote: %s: %w", c.op, ctx.Err())
		case err != nil && !c.safe:
			// A write whose answer was lost may have been carried out:
			// the caller decides (the bridge reads and compares).
			return nil, fmt.Errorf("remote: %s: %w", c.op, err)
		case err != nil:
			lastErr = err
			delay = backoff(attempt)
		case r.status == http.StatusServiceUnavailable || r.status == http.StatusTooManyRequests:
			lastErr = fmt.Errorf("HTTP %d: %w", r.status, ErrBusy)
			delay = retryAfter(r.header, backoff(attempt))
			if delay > s.opts.MaxWait {
				return nil, fmt.Errorf("remote: %s: the server asks to wait %s: %w", c.op, delay.Round(time.Second), ErrBusy)
			}
		case r.status >= 500 && c.safe:
			lastErr = fmt.Errorf("HTTP %d", r.status)
			delay = backoff(attempt)
		default:
			s.noteBackoff(r.header)
			return r, nil
		}
		if attempt >= s.opts.Attempts {
			return nil, fmt.Errorf("remote: %s: %d attempts: %w", c.op, attempt, lastErr)
		}
		s.log.Debug("remote: retrying", "op", c.op, "attempt", attempt, "wait", delay, "err", lastErr)
		if err := s.sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("remote: %s: %w", c.op, err)
		}
	}
}

// send makes one attempt of c.
func (s *Store) send(ctx context.Context, c *call, creds Credentials) (*response, error) {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, s.url(c), body)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case creds.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+creds.BearerToken)
	case creds.Username != "":
		req.SetBasicAuth(creds.Username, creds.Password)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, redact(err)
	}
	defer drain(resp.Body)
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxResponseBytes {
		return nil, fmt.Errorf("response over %d bytes", maxResponseBytes)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// redact strips the query of a URL error: an offset or ids list says
// nothing secret, but a proxy's URL might.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.Redacted(), Err: ue.Err}
		}
	}
	return err
}

// noteBackoff keeps an X-Weave-Backoff: no request goes out before it has
// passed.
func (s *Store) noteBackoff(h http.Header) {
	v := h.Get("X-Weave-Backoff")
	if v == "" {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return
	}
	d := time.Duration(n) * time.Second
	s.log.Info("remote: the server asks clients to back off", "seconds", n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := time.Now().Add(d); t.After(s.backoff) {
		s.backoff = t
	}
}

// backoff is the wait before attempt+1 when the server gave none: 1 s,
// 2 s, 4 s … up to 30 s.
func backoff(attempt int) time.Duration {
	return min(time.Second<<min(attempt-1, 5), 30*time.Second)
}

// retryAfter is the wait a Retry-After (seconds or an HTTP date) or
// X-Weave-Backoff header asks for, or def.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		v = strings.TrimSpace(h.Get("X-Weave-Backoff"))
	}
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return def
}

// A statusErr is a server's error answer.
type statusErr struct {
	op     string
	status int
	code   int // respcode, -1 when the body has none
	err    error
}

func (e *statusErr) Error() string {
	s := fmt.Sprintf("remote: %s: HTTP %d", e.op, e.status)
	if e.code >= 0 {
		s += fmt.Sprintf(", code %d", e.code)
	}
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *statusErr) Unwrap() error { return e.err }

// fail turns a non-2xx answer into an error wrapping the store sentinel
// it means.
func fail(op string, r *response) error {
	code := r.respcode()
	var sentinel error
	switch {
	case (r.status == http.StatusBadRequest || r.status == http.StatusForbidden) && code == 14:
		sentinel = store.ErrOverQuota
	case r.status == http.StatusBadRequest && code == 17, r.status == http.StatusRequestEntityTooLarge:
		sentinel = store.ErrSizeLimit
	case r.status == http.StatusBadRequest:
		sentinel = store.ErrInvalid
	case r.status == http.StatusNotFound:
		sentinel = store.ErrNotFound
	case r.status == http.StatusPreconditionFailed:
		sentinel = store.ErrPreconditionFailed
	case r.status == http.StatusUnauthorized, r.status == http.StatusForbidden:
		sentinel = ErrUnauthorized
	}
	return &statusErr{op: op, status: r.status, code: code, err: sentinel}
}

// precondition adds pre to h as X-If-Unmodified-Since.
func precondition(h http.Header, pre store.Precondition) http.Header {
	if h == nil {
		h = http.Header{}
	}
	if pre.Set {
		h.Set("X-If-Unmodified-Since", pre.IfUnmodifiedSince.String())
	}
	return h
}
