package graphtest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// An object is a JSON object whose members keep their order, so that
// answers list properties in the order Graph does.
type object []member

type member struct {
	key string
	val any
}

// MarshalJSON writes o in order, without escaping HTML characters (Graph
// sends "&" in links as is).
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshal(m.key))
		b.WriteByte(':')
		b.Write(marshal(m.val))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes v without HTML escaping and without a trailing newline.
// The fake only marshals values it built, so an error is a bug in it.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("graphtest: marshal %T: %v", v, err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// A response is one answer, to a request or to an item of a batch.
type response struct {
	status int
	header http.Header
	body   []byte
	binary bool // body is not JSON (a photo)
}

// odataJSON is the Content-Type of Graph's JSON answers.
const odataJSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

func jsonResponse(status int, v any) *response {
	return &response{status: status, header: http.Header{"Content-Type": {odataJSON}}, body: marshal(v)}
}

func emptyResponse(status int) *response {
	return &response{status: status, header: http.Header{}}
}

// errorResponse renders e for call c, with innerError naming the request.
func (c *call) errorResponse(e *graphError) *response {
	var b errorBody
	b.Error.Code = e.code
	b.Error.Message = e.message
	b.Error.InnerError = innerError{Date: c.now.UTC().Format(innerDateFormat), RequestID: c.requestID, ClientRequestID: c.clientRequestID}
	h := http.Header{"Content-Type": {"application/json"}}
	for k, vs := range e.header {
		h[k] = append([]string(nil), vs...)
	}
	return &response{status: e.status, header: h, body: marshal(b)}
}

func writeResponse(w http.ResponseWriter, c *call, r *response) {
	h := w.Header()
	for k, vs := range r.header {
		h[k] = vs
	}
	h.Set("request-id", c.requestID)
	h.Set("client-request-id", c.clientRequestID)
	h.Set("Cache-Control", "private")
	if r.body != nil {
		h.Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// newUUID returns a random version-4 UUID, the form of request-id.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomToken returns n base64url characters of randomness.
func randomToken(n int) string {
	b := make([]byte, (n*6+7)/8)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// preferences are the parts of the Prefer headers the fake honours.
type preferences struct {
	immutableIDs bool
	maxPageSize  int // 0 when not asked for
}

// parsePrefer reads Prefer headers such as `odata.maxpagesize=50` and
// `IdType="ImmutableId"`, possibly several per header, comma-separated.
func parsePrefer(h http.Header) preferences {
	var p preferences
	for _, line := range h.Values("Prefer") {
		for part := range strings.SplitSeq(line, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "idtype":
				p.immutableIDs = strings.EqualFold(v, "ImmutableId")
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					p.maxPageSize = n
				}
			}
		}
	}
	return p
}
