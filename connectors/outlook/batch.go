package outlook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
)

// A step is one request inside a $batch (reference §5): a URL relative to
// the service root, a JSON body or binary bytes (sent base64).
type step struct {
	method string
	url    string
	header map[string]string
	json   any    // a JSON body, or nil
	binary []byte // a binary body with header Content-Type, or nil
}

// A result is the answer to one step: status, headers and body (for a
// binary answer, the decoded bytes).
type result struct {
	status int
	header map[string]string
	body   []byte
	err    error // set when the step got no answer that counts
}

// ok reports whether the step succeeded.
func (r result) ok() bool { return r.err == nil && r.status/100 == 2 }

// apiError is the step's failure as an error.
func (r result) apiError() error {
	if r.err != nil {
		return r.err
	}
	return classify(parseAPIError(r.status, r.body))
}

type wireRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      any               `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

type wireResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// retryStep reports whether a step's answer means it was not carried out
// and may be sent again: throttled (429), or skipped because a step before
// it failed (424), or (for reads) a passing server failure.
func retryStep(status int, idempotent bool) bool {
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusFailedDependency:
		return true
	case idempotent && connectors.RetryableStatus(status):
		return true
	}
	return false
}

// batch runs steps in $batch requests: sequential ones (each step depends
// on the one before, so the batch holds one concurrency slot) or parallel
// ones (each holds a slot: at most the client's width per request). Steps
// throttled or skipped are sent again after Retry-After, up to the retry
// policy's attempts. owner, when not nil, names the write each step
// belongs to: once a step of a write fails for good, the write's later
// steps are not sent again (they keep the failure's result). It returns
// one result per step.
func (c *client) batch(ctx context.Context, name string, steps []step, owner []int, sequential, idempotent bool) []result {
	out := make([]result, len(steps))
	todo := make([]int, len(steps))
	for i := range todo {
		todo[i] = i
	}
	size := maxBatch
	if !sequential {
		size = int(c.width)
	}
	for attempt := 1; len(todo) > 0; attempt++ {
		var again []int
		var wait time.Duration
		for start := 0; start < len(todo); start += size {
			part := todo[start:min(start+size, len(todo))]
			res, err := c.sendBatch(ctx, name, steps, part, sequential, idempotent)
			if err != nil {
				for _, i := range part {
					out[i] = result{err: err}
				}
				continue
			}
			for k, i := range part {
				r := res[k]
				out[i] = r
				if retryStep(r.status, idempotent) {
					again = append(again, i)
					if d, ok := connectors.RetryAfter(http.Header{"Retry-After": {r.header["Retry-After"]}}, c.now()); ok {
						wait = max(wait, d)
					}
				}
			}
		}
		if owner != nil {
			again = dropFailed(owner, out, again, idempotent)
		}
		if len(again) == 0 || ctx.Err() != nil {
			break
		}
		if attempt >= c.retry.Attempts || wait > c.retry.MaxRetryAfter {
			for _, i := range again {
				out[i].err = connectors.Transient(fmt.Errorf("outlook: %s: %w", name, parseAPIError(out[i].status, out[i].body)))
			}
			break
		}
		if wait == 0 {
			wait = c.retry.Backoff(attempt)
		}
		c.log.Debug("outlook: retrying batch steps", "op", name, "steps", len(again), "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			for _, i := range again {
				out[i].err = fmt.Errorf("outlook: %s: %w", name, err)
			}
			break
		}
		todo = again
	}
	return out
}

// dropFailed removes from again the steps of writes that failed for good
// at an earlier step, giving them that step's result.
func dropFailed(owner []int, out []result, again []int, idempotent bool) []int {
	failed := map[int]result{}
	for i, r := range out {
		if _, ok := failed[owner[i]]; !ok && (r.err != nil || r.status != 0 && !r.ok() && !retryStep(r.status, idempotent)) {
			failed[owner[i]] = r
		}
	}
	kept := again[:0]
	for _, i := range again {
		if f, ok := failed[owner[i]]; ok {
			out[i] = f
			continue
		}
		kept = append(kept, i)
	}
	return kept
}

// sendBatch sends the steps part of steps as one $batch request and
// returns their answers in part's order.
func (c *client) sendBatch(ctx context.Context, name string, steps []step, part []int, sequential, idempotent bool) ([]result, error) {
	reqs := make([]wireRequest, len(part))
	for k, i := range part {
		s := steps[i]
		w := wireRequest{ID: strconv.Itoa(k + 1), Method: s.method, URL: s.url, Headers: map[string]string{"Prefer": preferImmutable}}
		for h, v := range s.header {
			w.Headers[h] = v
		}
		switch {
		case s.binary != nil:
			w.Body = base64.StdEncoding.EncodeToString(s.binary)
		case s.json != nil:
			w.Body = s.json
			w.Headers["Content-Type"] = "application/json"
		}
		if sequential && k > 0 {
			w.DependsOn = []string{strconv.Itoa(k)}
		}
		reqs[k] = w
	}
	body, err := json.Marshal(map[string]any{"requests": reqs})
	if err != nil {
		return nil, fmt.Errorf("outlook: %s: %w", name, err)
	}
	slots := 1
	if !sequential {
		slots = len(part)
	}
	a, err := c.do(ctx, request{name: "$batch", method: http.MethodPost, url: "$batch", body: body, slots: slots, once: !idempotent})
	if err != nil {
		return nil, err
	}
	var w struct {
		Responses []wireResponse `json:"responses"`
	}
	if err := json.Unmarshal(a.body, &w); err != nil {
		return nil, connectors.Transient(fmt.Errorf("outlook: %s: the $batch answer is not the JSON expected: %w", name, err))
	}
	byID := map[string]wireResponse{}
	for _, r := range w.Responses {
		byID[r.ID] = r
	}
	out := make([]result, len(part))
	for k := range part {
		r, ok := byID[strconv.Itoa(k+1)]
		if !ok {
			out[k] = result{err: connectors.Transient(fmt.Errorf("outlook: %s: the $batch answer lacks request %d", name, k+1))}
			continue
		}
		res := result{status: r.Status, header: r.Headers, body: r.Body}
		if ct := headerValue(r.Headers, "Content-Type"); r.Status/100 == 2 && len(r.Body) > 0 && !isJSONType(ct) {
			var enc string
			if json.Unmarshal(r.Body, &enc) != nil {
				res.err = connectors.Transient(fmt.Errorf("outlook: %s: a binary answer is not base64", name))
			} else if res.body, err = base64.StdEncoding.DecodeString(enc); err != nil {
				res.err = connectors.Transient(fmt.Errorf("outlook: %s: a binary answer is not base64: %w", name, err))
			}
		}
		out[k] = res
	}
	return out, nil
}

// headerValue looks a header up in a batch answer's headers, ignoring
// case.
func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
			return v
		}
	}
	return ""
}

// isJSONType reports whether a batch answer's Content-Type is JSON (the
// body inline) rather than binary (the body base64).
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return ct == "" || err == nil && mt == "application/json"
}
