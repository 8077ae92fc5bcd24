package graphtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxBatchRequests is the JSON batching limit (reference §5).
const maxBatchRequests = 20

// batchRequest is one member of a $batch body's "requests".
type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

func (r *batchRequest) hasBody() bool { return len(r.Body) > 0 && !isNull(r.Body) }

func (r *batchRequest) header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// parseBatch checks a $batch body the way Graph does before running any of
// it (reference §5): at most 20 requests, ids present and unique (case
// does not matter), a method and a relative url each, Content-Type in the
// headers of a request with a body, dependsOn naming other requests of
// the batch without cycles. Any violation fails the whole batch with 400.
func parseBatch(body []byte) ([]*batchRequest, *graphError) {
	var b struct {
		Requests []*batchRequest `json:"requests"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Requests == nil {
		return nil, errBadRequest("Invalid batch payload format.")
	}
	switch n := len(b.Requests); {
	case n == 0:
		return nil, errBadRequest("Invalid batch payload format: the batch contains no requests.")
	case n > maxBatchRequests:
		return nil, errBadRequest("Invalid batch payload format: a batch may contain at most %d requests; this one has %d.", maxBatchRequests, n)
	}
	seen := map[string]bool{}
	for _, r := range b.Requests {
		if r == nil || r.ID == "" {
			return nil, errBadRequest("Invalid batch payload format: every request needs an id.")
		}
		id := strings.ToLower(r.ID)
		if seen[id] {
			return nil, errBadRequest("Invalid batch payload format: the request id '%s' is used more than once.", r.ID)
		}
		seen[id] = true
		switch r.Method = strings.ToUpper(r.Method); r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return nil, errBadRequest("Invalid batch payload format: request '%s' has no valid method.", r.ID)
		}
		if r.URL == "" {
			return nil, errBadRequest("Invalid batch payload format: request '%s' has no url.", r.ID)
		}
		if u, err := url.Parse(r.URL); err != nil || u.IsAbs() || u.Host != "" {
			return nil, errBadRequest("Invalid batch payload format: the url of request '%s' must be relative to the service root, such as /me/contacts.", r.ID)
		}
		if r.hasBody() && r.header("Content-Type") == "" {
			return nil, errBadRequest("Invalid batch payload format: request '%s' has a body but no Content-Type header.", r.ID)
		}
	}
	for _, r := range b.Requests {
		for _, d := range r.DependsOn {
			if !seen[strings.ToLower(d)] || strings.EqualFold(d, r.ID) {
				return nil, errBadRequest("Invalid batch payload format: request '%s' depends on '%s', which is not another request of the batch.", r.ID, d)
			}
		}
	}
	if _, ok := batchOrder(b.Requests); !ok {
		return nil, errBadRequest("Invalid batch payload format: the dependsOn of the requests form a cycle.")
	}
	return b.Requests, nil
}

// batchOrder orders requests so that each comes after those it depends
// on, keeping request order otherwise; ok is false for a cycle.
func batchOrder(reqs []*batchRequest) ([]*batchRequest, bool) {
	done := map[string]bool{}
	var out []*batchRequest
	for len(out) < len(reqs) {
		progress := false
		for _, r := range reqs {
			if done[strings.ToLower(r.ID)] {
				continue
			}
			ready := true
			for _, d := range r.DependsOn {
				ready = ready && done[strings.ToLower(d)]
			}
			if ready {
				done[strings.ToLower(r.ID)] = true
				out = append(out, r)
				progress = true
			}
		}
		if !progress {
			return nil, false
		}
	}
	return out, true
}

// serveBatch is POST /v1.0/$batch (reference §5). The batch is
// authenticated once; the outer status is 200 whenever the batch parses,
// whatever its requests answer. The requests without dependsOn run
// together first: each takes a concurrency slot of the mailbox (reference
// §6), and those that find none get 429 ApplicationThrottled, unless
// Options.SerialBatchItems. The others run one at a time after what they
// depend on, or get 424 Failed Dependency if it failed. Every request is
// throttled on its own (FailBatchItems, rate limits). Responses come back
// in reverse order unless Options.BatchInOrder: "in any order".
func (s *Server) serveBatch(c *call) *response {
	s.count("$batch")
	if err := s.authenticate(c); err != nil {
		return c.errorResponse(err)
	}
	if c.method != http.MethodPost {
		return c.errorResponse(errMethodNotAllowed())
	}
	if err := s.injected(&s.fail); err != nil {
		return c.errorResponse(err)
	}
	reqs, err := parseBatch(c.body)
	if err != nil {
		return c.errorResponse(err)
	}
	if s.opts.OnRequest != nil {
		s.opts.OnRequest("$batch")
	}
	ordered, _ := batchOrder(reqs)
	results := map[string]*response{}
	var parallel []*batchRequest
	for _, r := range ordered {
		if len(r.DependsOn) == 0 {
			parallel = append(parallel, r)
		}
	}
	u, app := c.tok.u, c.tok.app
	if s.opts.SerialBatchItems {
		for _, r := range parallel {
			results[r.ID] = s.batchItem(c, r, slotTake)
		}
	} else {
		got := s.acquire(u, app, len(parallel))
		for i, r := range parallel {
			mode := slotHeld
			if i >= got {
				mode = slotRefused
			}
			results[r.ID] = s.batchItem(c, r, mode)
		}
		s.release(u, app, got)
	}
	for _, r := range ordered {
		if len(r.DependsOn) == 0 {
			continue
		}
		failed := slices.ContainsFunc(r.DependsOn, func(d string) bool {
			for id, res := range results {
				if strings.EqualFold(id, d) {
					return res.status >= 400
				}
			}
			return true
		})
		if failed {
			item := s.newCall(r.Method, &url.URL{Path: "/"}, http.Header{}, nil)
			results[r.ID] = item.errorResponse(newError(http.StatusFailedDependency, "FailedDependency", "The request depends on a request of the batch that failed."))
			continue
		}
		results[r.ID] = s.batchItem(c, r, slotTake)
	}
	var out []object
	for _, r := range reqs {
		out = append(out, itemResponse(r.ID, results[r.ID]))
	}
	if !s.opts.BatchInOrder {
		slices.Reverse(out)
	}
	return jsonResponse(http.StatusOK, object{{"responses", out}})
}

// batchItem runs one request of a batch with the batch's credentials.
func (s *Server) batchItem(outer *call, r *batchRequest, slot slotMode) *response {
	ref := "/" + strings.TrimLeft(r.URL, "/")
	u, _ := url.Parse(ref)
	header := http.Header{}
	for k, v := range r.Headers {
		header.Set(k, v)
	}
	var body []byte
	if r.hasBody() {
		mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
		if mt == "application/json" || strings.HasSuffix(mt, "+json") {
			body = bytes.Clone(r.Body)
		} else {
			// Binary bodies (photos) travel base64-encoded (reference §5).
			var enc string
			c := s.newCall(r.Method, u, header, nil)
			if json.Unmarshal(r.Body, &enc) != nil {
				return c.errorResponse(errBadRequest("The body of request '%s' is not JSON, so it must be a base64 string.", r.ID))
			}
			b, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				if b, err = base64.URLEncoding.DecodeString(enc); err != nil {
					return c.errorResponse(errBadRequest("The body of request '%s' is not valid base64.", r.ID))
				}
			}
			body = b
		}
	}
	c := s.newCall(r.Method, u, header, body)
	c.tok = outer.tok
	c.clientRequestID = outer.clientRequestID
	if len(c.segs) > 0 && eq(c.segs[0], "$batch") {
		return c.errorResponse(errBadRequest("A batch cannot contain a $batch request."))
	}
	return s.serveCall(c, &s.failItems, slot)
}

// itemResponse is one member of the batch answer's "responses": id,
// status, headers and body — JSON inline, binary as base64.
func itemResponse(id string, r *response) object {
	headers := object{}
	for _, k := range sortedKeys(r.header) {
		headers = append(headers, member{k, strings.Join(r.header[k], ", ")})
	}
	o := object{{"id", id}, {"status", r.status}, {"headers", headers}}
	switch {
	case len(r.body) == 0:
	case r.binary:
		o = append(o, member{"body", base64.StdEncoding.EncodeToString(r.body)})
	default:
		o = append(o, member{"body", json.RawMessage(r.body)})
	}
	return o
}
