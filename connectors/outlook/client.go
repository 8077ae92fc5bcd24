package outlook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/contactbridge/contactbridge/connectors"
)

// maxBody bounds an answer the client reads: a delta page of 200 contacts
// or a $batch answer with 20 photos of at most 4 MB stays well below it.
const maxBody = 128 << 20

// preferImmutable keeps item ids stable when a contact moves between
// folders (reference §1); every request carries it.
const preferImmutable = `IdType="ImmutableId"`

// client sends the Graph requests of one mailbox: JSON in and out, at most
// Concurrency requests in flight (reference §6: 4 per app and mailbox; a
// $batch of parallel requests counts as many), retries on 429 (after
// Retry-After), 5xx and network failures for the requests it is safe to
// repeat, and Graph's error envelope turned into *APIError.
type client struct {
	// reauth drops the access token, so the next request gets a fresh one.
	reauth func()

	connectors.AuthorizedClient // authorises with the account's token

	base    *url.URL // the service root, ending in "/"
	account string
	retry   connectors.RetryPolicy
	log     *slog.Logger
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time
	slots   *semaphore.Weighted
	width   int64 // the semaphore's size
}

// An APIError is an answer of Graph the connector did not expect. Its
// message gives the HTTP status and Graph's error code and message, which
// name properties and never a contact's values.
type APIError struct {
	HTTPStatus int
	Code       string // ErrorItemNotFound, SyncStateNotFound …
	Message    string
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("Graph answered %d", e.HTTPStatus)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// parseAPIError reads Graph's error envelope (reference §10.11).
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{HTTPStatus: status}
	var w struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &w) == nil {
		e.Code, e.Message = w.Error.Code, w.Error.Message
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "…"
	}
	return e
}

// classify turns a failed answer into the connectors error it means.
func classify(e *APIError) error {
	switch {
	case e.HTTPStatus == http.StatusNotFound:
		return fmt.Errorf("%w: %w", connectors.ErrNotFound, e)
	case e.HTTPStatus == http.StatusPreconditionFailed || e.Code == "ErrorIrresolvableConflict":
		return fmt.Errorf("%w: %w", connectors.ErrPreconditionFailed, e)
	case e.HTTPStatus == http.StatusGone || deltaLost(e.Code):
		return fmt.Errorf("%w: %w", connectors.ErrTokenExpired, e)
	case connectors.RetryableStatus(e.HTTPStatus):
		return connectors.Transient(e)
	}
	return e
}

// deltaLost reports whether code says a delta token is no longer valid
// (reference §3, client rule).
func deltaLost(code string) bool {
	return strings.EqualFold(code, "SyncStateNotFound") || strings.EqualFold(code, "resyncRequired")
}

// answer is one HTTP answer read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// request is one Graph request: an absolute URL (a followed link) or one
// relative to the service root, a JSON or binary body, extra headers.
type request struct {
	name   string // counts it
	method string
	url    string
	header http.Header
	body   []byte
	// slots is how many requests it puts in flight on the mailbox: 1,
	// or the number of parallel requests of a $batch.
	slots int
	// once marks a request that must not be sent twice without checking
	// what the first did (a $batch of creates): a network failure or a
	// 5xx after sending comes back as an ambiguousError.
	once bool
}

// ambiguousError is a failure after which the request may or may not have
// been carried out.
type ambiguousError struct{ err error }

func (e *ambiguousError) Error() string { return e.err.Error() }
func (e *ambiguousError) Unwrap() error { return e.err }

// do sends r, retrying what is worth retrying, and returns a 2xx answer or
// an error: an *APIError classified (classify) for an answer, marked
// transient when a later run may do better.
func (c *client) do(ctx context.Context, r request) (*answer, error) {
	u := r.url
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = strings.TrimSuffix(c.base.String(), "/") + "/" + strings.TrimPrefix(u, "/")
	}
	slots := int64(max(r.slots, 1))
	reauthed := false
	for attempt := 1; ; attempt++ {
		a, err := c.once(ctx, r, u, slots)
		if err == nil && a.status == http.StatusUnauthorized && !reauthed && c.reauth != nil {
			// The access token was revoked or expired early: one fresh
			// token, then the request again.
			reauthed = true
			c.reauth()
			attempt--
			continue
		}
		if err == nil && a.status/100 == 2 {
			return a, nil
		}
		var failure error
		again := false
		var header http.Header
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("outlook: %s: %w", r.name, ctx.Err())
			}
			failure = fmt.Errorf("outlook: %s: %w", r.name, err)
			var se *signInError
			if errors.As(err, &se) {
				// The request was never sent: signing in failed.
				return nil, connectors.Transient(failure)
			}
			if r.once {
				return nil, &ambiguousError{connectors.Transient(failure)}
			}
			again = true
		case a.status == http.StatusUnauthorized:
			return nil, fmt.Errorf("outlook: account %s: %s: the sign-in is no longer valid (401): run `contactbridge accounts connect %s` again: %w",
				c.account, r.name, c.account, parseAPIError(a.status, a.body))
		default:
			header = a.header
			ae := parseAPIError(a.status, a.body)
			failure = fmt.Errorf("outlook: %s: %w", r.name, classify(ae))
			again = connectors.RetryableStatus(a.status)
			if r.once && a.status != http.StatusTooManyRequests && again {
				// A 5xx may come after the work was done.
				return nil, &ambiguousError{failure}
			}
		}
		if !again {
			return nil, failure
		}
		if attempt >= c.retry.Attempts {
			return nil, connectors.Transient(failure)
		}
		d, ok := c.retry.Delay(attempt, header, c.now())
		if !ok {
			return nil, connectors.Transient(failure)
		}
		c.log.Debug("outlook: retrying", "op", r.name, "attempt", attempt, "wait", d, "err", failure)
		if err := c.sleep(ctx, d); err != nil {
			return nil, fmt.Errorf("outlook: %s: %w", r.name, err)
		}
	}
}

// once sends one attempt, holding its concurrency slots, and reads the
// answer in full.
func (c *client) once(ctx context.Context, r request, u string, slots int64) (*answer, error) {
	slots = min(slots, c.width)
	if err := c.slots.Acquire(ctx, slots); err != nil {
		return nil, err
	}
	defer c.slots.Release(slots)
	c.Count(r.name)
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, err
	}
	maps.Copy(req.Header, r.header)
	req.Header.Set("Accept", "application/json")
	if r.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Add("Prefer", preferImmutable)
	res, err := c.Client().Do(req)
	if err != nil {
		return nil, redactErr(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxBody {
		return nil, errors.New("the answer is larger than 128 MiB")
	}
	return &answer{status: res.StatusCode, header: res.Header, body: body}, nil
}

// getJSON reads u into out.
func (c *client) getJSON(ctx context.Context, name, u string, header http.Header, out any) error {
	a, err := c.do(ctx, request{name: name, method: http.MethodGet, url: u, header: header})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		return connectors.Transient(fmt.Errorf("outlook: %s: the answer is not the JSON expected: %w", name, err))
	}
	return nil
}

// A signInError is a failure to get an access token: the request was not
// sent.
type signInError struct{ err error }

func (e *signInError) Error() string { return e.err.Error() }
func (e *signInError) Unwrap() error { return e.err }

// redactErr strips what an error of the OAuth transport may carry of the
// token exchange (its raw body) down to the error code.
func redactErr(err error) error {
	var se *signInError
	if errors.As(err, &se) {
		return se
	}
	if e, ok := connectors.SignInFailure(err); ok {
		return &signInError{e}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
