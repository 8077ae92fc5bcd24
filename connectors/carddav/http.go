package carddav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
)

// Limits on the bodies of answers: a multistatus of 100 cards with photos
// is large, one card is at most mapping.MaxCardSize (a larger one is read
// as too large, not truncated).
const (
	maxMultistatus = 512 << 20
	maxCard        = 11 << 20
	maxRedirects   = 10
)

// errBodyTooLarge marks an answer larger than the limit for its request.
var errBodyTooLarge = errors.New("answer too large")

// client sends the connector's requests: it adds credentials, follows
// redirects with the same method and body, reads each answer in full, and
// retries what is worth retrying. It also serves go-webdav as its
// webdav.HTTPClient, so the library's requests get the same treatment.
type client struct {
	hc      *http.Client // redirects disabled
	origin  *url.URL     // Config.URL
	account string       // user@host, for messages
	timeout time.Duration
	retry   connectors.RetryPolicy
	log     *slog.Logger

	authorization string // the Authorization header value, "" for none
	authHint      string // what to check when the server says 401

	// sleep and now are time.Sleep-like and time.Now, replaced by tests.
	sleep func(context.Context, time.Duration) error
	now   func() time.Time

	stats *counters
}

// A request is one HTTP request, held so it can be sent again.
type request struct {
	method string
	url    *url.URL
	header http.Header
	body   []byte
	// maxBody bounds the answer's body (default maxMultistatus).
	maxBody int64
	// final lists statuses that must not be retried although
	// RetryableStatus says so: the caller reads them (a 500 to a
	// sync-collection with a token means an expired token on Xandikos).
	final []int
}

// A response is an answer, read in full.
type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL // after redirects
	// retried is true when an earlier attempt of the request reached the
	// network: a write may then have happened already, and a 412 or 404
	// may be the answer to our own first attempt.
	retried bool
}

// newRequest returns a request of method to the path or URL ref, resolved
// against the configured URL.
func (c *client) newRequest(method, ref string, body []byte) (*request, error) {
	u, err := c.origin.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("carddav: bad href %q: %w", ref, err)
	}
	return &request{method: method, url: u, header: http.Header{}, body: body}, nil
}

// pathURL returns the URL of an absolute path on the configured server.
func (c *client) pathURL(path string) *url.URL {
	u := *c.origin
	u.Path, u.RawPath = path, ""
	return &u
}

// send sends r until it gets an answer not worth retrying or runs out of
// attempts. After the last attempt a retryable status is returned as a
// response (callers turn it into a transient error), a network failure as
// an error marked transient. Errors of the context are returned as they
// are.
func (c *client) send(ctx context.Context, r *request) (*response, error) {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := c.once(ctx, r)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch {
		case err == nil && !c.retryable(r, res.status):
			res.retried = attempt > 1
			return res, nil
		case err != nil && !connectors.RetryableError(err):
			return nil, err
		case attempt >= c.retry.Attempts:
			if err != nil {
				return nil, connectors.Transient(err)
			}
			res.retried = attempt > 1
			return res, nil
		}
		var h http.Header
		status := 0
		if res != nil {
			h, status = res.header, res.status
		}
		wait, ok := c.retry.Delay(attempt, h, c.now())
		if !ok {
			// The server wants a pause longer than a run should hold:
			// give the answer back; it maps to a transient error.
			res.retried = attempt > 1
			return res, nil
		}
		c.stats.retried()
		c.log.Debug("carddav: retrying", "op", r.method, "remote_id", r.url.Path, "status", status,
			"error", errString(err), "attempt", attempt, "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryable reports whether an answer with status to r is worth sending r
// again.
func (c *client) retryable(r *request, status int) bool {
	for _, s := range r.final {
		if s == status {
			return false
		}
	}
	return connectors.RetryableStatus(status)
}

// once sends r once, following redirects, within the per-request timeout,
// and reads the answer.
func (c *client) once(ctx context.Context, r *request) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := r.url
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, r.method, u.String(), bytes.NewReader(r.body))
		if err != nil {
			return nil, fmt.Errorf("carddav: %s %s: %w", r.method, u.Path, err)
		}
		maps.Copy(req.Header, r.header)
		if r.body == nil {
			req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
		}
		if c.authorization != "" && c.mayAuthenticate(u) {
			req.Header.Set("Authorization", c.authorization)
		}
		c.stats.sent(r.method)
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, err
		}
		if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			next, err := u.Parse(loc)
			switch {
			case err != nil:
				return nil, fmt.Errorf("carddav: %s %s: redirect to a bad location: %w", r.method, u.Path, err)
			case hop >= maxRedirects:
				return nil, fmt.Errorf("carddav: %s %s: more than %d redirects", r.method, r.url.Path, maxRedirects)
			case u.Scheme == "https" && next.Scheme != "https":
				return nil, fmt.Errorf("carddav: %s %s: refusing a redirect from https to %s", r.method, u.Path, next.Scheme)
			}
			next.User = nil
			u = next
			continue
		}
		limit := r.maxBody
		if limit <= 0 {
			limit = maxMultistatus
		}
		body, err := readLimited(resp.Body, limit)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		return &response{status: resp.StatusCode, header: resp.Header, body: body, url: u}, nil
	}
}

// mayAuthenticate reports whether credentials may go to u: the configured
// host, or any host reached over https from an https URL (a server that
// redirects elsewhere vouches for the target; TLS proves who it is).
func (c *client) mayAuthenticate(u *url.URL) bool {
	if strings.EqualFold(u.Host, c.origin.Host) && u.Scheme == c.origin.Scheme {
		return true
	}
	return c.origin.Scheme == "https" && u.Scheme == "https"
}

// isRedirect reports whether status asks the client to go elsewhere.
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// readLimited reads r to its end, failing with errBodyTooLarge past limit
// bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes: %w", limit, errBodyTooLarge)
	}
	return b, nil
}

// errString is err's message, or "" for nil, for logs.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// captureKey keys the *capture a caller of go-webdav puts in the context to
// learn the status and final URL of the library's request.
type captureKey struct{}

// capture records what the last request of go-webdav got.
type capture struct {
	status int
	url    *url.URL
}

// Do implements webdav.HTTPClient for go-webdav: the library's requests are
// sent like the connector's own, and their status and final URL recorded
// in the *capture of the request's context, if any, since the library's
// errors do not expose them.
func (c *client) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := readLimited(req.Body, maxMultistatus)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	res, err := c.send(req.Context(), &request{method: req.Method, url: req.URL, header: req.Header.Clone(), body: body})
	if err != nil {
		return nil, err
	}
	if cp, ok := req.Context().Value(captureKey{}).(*capture); ok {
		cp.status, cp.url = res.status, res.url
	}
	final := req.Clone(req.Context())
	final.URL = res.url
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", res.status, http.StatusText(res.status)),
		StatusCode:    res.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        res.header,
		Body:          io.NopCloser(bytes.NewReader(res.body)),
		ContentLength: int64(len(res.body)),
		Request:       final,
	}, nil
}

// counters counts requests by method and retries.
type counters struct {
	mu       sync.Mutex
	requests map[string]int64
	retries  int64
}

func newCounters() *counters { return &counters{requests: make(map[string]int64)} }

func (s *counters) sent(method string) {
	s.mu.Lock()
	s.requests[method]++
	s.mu.Unlock()
}

func (s *counters) retried() {
	s.mu.Lock()
	s.retries++
	s.mu.Unlock()
}

func (s *counters) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Requests: maps.Clone(s.requests), Retries: s.retries}
}

// propfind asks path for the properties named (as propfindBody takes them)
// at depth "0" or "1" and returns the parsed multistatus; any other answer
// than 207 is an error.
func (c *client) propfind(ctx context.Context, path, depth string, props ...string) (*multistatus, error) {
	r, err := c.newRequest("PROPFIND", escapePath(path), propfindBody(props...))
	if err != nil {
		return nil, err
	}
	r.header.Set("Depth", depth)
	r.header.Set("Content-Type", `application/xml; charset="utf-8"`)
	res, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if res.status != http.StatusMultiStatus {
		return nil, c.statusErr(res)
	}
	return parseMultistatus(res.body)
}
