package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/contactbridge/contactbridge/store"
)

// A respcode is the bare JSON integer a Sync server puts in the body of an
// error response.
type respcode int

// The respcodes this server sends (reference §5.9).
const (
	codeUnknown           respcode = 0
	codeIllegalMethod     respcode = 1
	codeUserMismatch      respcode = 5
	codeMalformedJSON     respcode = 6
	codeInvalidBSO        respcode = 8
	codeInvalidCollection respcode = 13
	codeOverQuota         respcode = 14
	codeSizeLimit         respcode = 17
)

// A call is one authenticated request on its way through the handlers.
type call struct {
	w        http.ResponseWriter
	r        *http.Request
	now      store.Timestamp // the handler's clock when the request came in
	authUser string
	// user, collection and id are the decoded path segments (id and
	// collection empty when the path has none).
	user, collection, id string
	// pre is X-If-Unmodified-Since; ims is X-If-Modified-Since (nil when
	// absent). Both are checked by checkPreconditionHeaders.
	pre store.Precondition
	ims *store.Timestamp
}

// stamp sets X-Last-Modified to lm and X-Weave-Timestamp to lm after a
// write, or to max(now, lm) after a read.
func (c *call) stamp(lm store.Timestamp, write bool) {
	h := c.w.Header()
	h.Set("X-Last-Modified", lm.String())
	ts := lm
	if !write && c.now > ts {
		ts = c.now
	}
	h.Set("X-Weave-Timestamp", ts.String())
}

// sendJSON answers status with v encoded as JSON.
func sendJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only the types of this package reach here, and they all encode.
		sendCode(w, http.StatusInternalServerError, codeUnknown)
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// sendCode answers status with the bare respcode as its body.
func sendCode(w http.ResponseWriter, status int, code respcode) {
	body := strconv.Itoa(int(code))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// sendNotModified answers 304 for a resource last modified at lm.
func (c *call) sendNotModified(lm store.Timestamp) {
	c.stamp(lm, false)
	c.w.WriteHeader(http.StatusNotModified)
}

// modifiedResult is the body of deletes: the new timestamp.
type modifiedResult struct {
	Modified store.Timestamp `json:"modified"`
}
