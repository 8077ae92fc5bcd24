package google

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
)

// maxBody bounds an answer the client reads: a page of 1,000 people with
// their fields stays well below it.
const maxBody = 64 << 20

// client sends the People API requests of one account: JSON in and out,
// retries with backoff on 429 and 5xx (Google sends no Retry-After on 429:
// the backoff is the policy's, with jitter), and Google's error bodies
// turned into errors that say what happened without quoting a contact.
type client struct {
	// reauth drops the access token, so that the next request gets a
	// fresh one (set by the Connector).
	reauth func()

	connectors.AuthorizedClient // authorises with the account's token

	base    *url.URL // the API endpoint, ending in "/"
	account string   // names the account in errors
	retry   connectors.RetryPolicy
	log     *slog.Logger
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time
}

// apiError is Google's error body: {"error": {...}}.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Type   string `json:"@type"`
		Reason string `json:"reason"`
		Domain string `json:"domain"`
	} `json:"details"`
}

// An APIError is an answer of the People API the connector did not expect.
// Its message gives the HTTP status, Google's status and reasons, and
// Google's message, which names fields and never a contact's values.
type APIError struct {
	HTTPStatus int
	Status     string   // RESOURCE_EXHAUSTED, FAILED_PRECONDITION …
	Reasons    []string // ErrorInfo reasons: EXPIRED_SYNC_TOKEN …
	Message    string
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("People API answered %d", e.HTTPStatus)
	if e.Status != "" {
		s += " " + e.Status
	}
	if len(e.Reasons) > 0 {
		s += " (" + strings.Join(e.Reasons, ", ") + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// has reports whether Google gave reason.
func (e *APIError) has(reason string) bool {
	for _, r := range e.Reasons {
		if r == reason {
			return true
		}
	}
	return false
}

// parseAPIError reads an error answer.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{HTTPStatus: status}
	var w struct {
		Error apiError `json:"error"`
	}
	if json.Unmarshal(body, &w) == nil {
		e.Status, e.Message = w.Error.Status, w.Error.Message
		for _, d := range w.Error.Details {
			if d.Reason != "" {
				e.Reasons = append(e.Reasons, d.Reason)
			}
		}
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "…"
	}
	return e
}

// retryable reports whether an answer is worth sending again.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500 && status != http.StatusNotImplemented
}

// do sends one request: method on path (relative to the endpoint, e.g.
// "v1/people/me/connections"), with query, and body marshalled as JSON
// when not nil; it decodes the answer into out when not nil. name counts
// the request. Failures worth retrying are retried; what is left is an
// error: an *APIError for an answer, marked transient when a later run may
// do better.
func (c *client) do(ctx context.Context, name, method, path string, query url.Values, body, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + path
	u.RawQuery = query.Encode()
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("google: %s: %w", name, err)
		}
	}
	reauthed := false
	for attempt := 1; ; attempt++ {
		status, header, answer, err := c.once(ctx, name, method, u.String(), payload)
		if err == nil && status == http.StatusUnauthorized && !reauthed && c.reauth != nil {
			// The access token was revoked or expired early: one fresh
			// token, then the request again.
			reauthed = true
			c.reauth()
			attempt--
			continue
		}
		if err == nil && status/100 == 2 {
			if out == nil || len(bytes.TrimSpace(answer)) == 0 {
				return nil
			}
			if err := json.Unmarshal(answer, out); err != nil {
				return connectors.Transient(fmt.Errorf("google: %s: the answer is not the JSON expected: %w", name, err))
			}
			return nil
		}
		var failure error
		again := false
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("google: %s: %w", name, ctx.Err())
			}
			failure = fmt.Errorf("google: %s: %w", name, err)
			again = true
		case status == http.StatusUnauthorized:
			return fmt.Errorf("google: account %s: %s: the sign-in is no longer valid (401): run `contactbridge accounts connect` again: %w",
				c.account, name, parseAPIError(status, answer))
		default:
			ae := parseAPIError(status, answer)
			failure = fmt.Errorf("google: %s: %w", name, ae)
			again = retryable(status)
		}
		if !again {
			return failure
		}
		if attempt >= c.retry.Attempts {
			return connectors.Transient(failure)
		}
		d, ok := c.retry.Delay(attempt, header, c.now())
		if !ok {
			return connectors.Transient(failure)
		}
		c.log.Debug("google: retrying", "op", name, "attempt", attempt, "wait", d, "err", failure)
		if err := c.sleep(ctx, d); err != nil {
			return fmt.Errorf("google: %s: %w", name, err)
		}
	}
}

// once sends one attempt and reads the answer in full.
func (c *client) once(ctx context.Context, name, method, u string, payload []byte) (int, http.Header, []byte, error) {
	c.Count(name)
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Client().Do(req)
	if err != nil {
		return 0, nil, nil, redactErr(err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if len(answer) > maxBody {
		return 0, nil, nil, errors.New("the answer is larger than 64 MiB")
	}
	return res.StatusCode, res.Header, answer, nil
}

// redactErr strips what an error of the OAuth transport may carry of the
// token exchange (its raw body) down to the error code.
func redactErr(err error) error {
	if se, ok := connectors.SignInFailure(err); ok {
		return se
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
