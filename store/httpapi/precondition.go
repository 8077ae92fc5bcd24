package httpapi

import (
	"net/http"

	"github.com/contactbridge/contactbridge/store"
)

// checkPreconditionHeaders parses X-If-Modified-Since and
// X-If-Unmodified-Since into c (reference §5.4): both together, a negative
// or non-numeric value, X-If-Modified-Since on anything but a GET, or
// X-If-Unmodified-Since on anything but a collection or record are 400.
func checkPreconditionHeaders(c *call) error {
	h := c.r.Header
	ims, hasIMS := h["X-If-Modified-Since"]
	ius, hasIUS := h["X-If-Unmodified-Since"]
	switch {
	case hasIMS && hasIUS:
		return badRequest(codeUnknown, "both X-If-Modified-Since and X-If-Unmodified-Since")
	case hasIMS && c.r.Method != http.MethodGet:
		return badRequest(codeUnknown, "X-If-Modified-Since on a %s", c.r.Method)
	case hasIUS && c.collection == "":
		// A guard the store cannot apply atomically (delete everything)
		// is refused rather than ignored.
		return badRequest(codeUnknown, "X-If-Unmodified-Since outside a collection")
	}
	if hasIMS {
		ts, err := parseHeaderTimestamp(ims)
		if err != nil {
			return err
		}
		c.ims = &ts
	}
	if hasIUS {
		ts, err := parseHeaderTimestamp(ius)
		if err != nil {
			return err
		}
		c.pre = store.Since(ts)
	}
	return nil
}

// parseHeaderTimestamp parses the one value of a timestamp header.
func parseHeaderTimestamp(vs []string) (store.Timestamp, error) {
	if len(vs) != 1 {
		return 0, badRequest(codeUnknown, "repeated precondition header")
	}
	ts, err := store.ParseTimestamp(vs[0])
	if err != nil {
		return 0, badRequest(codeUnknown, "precondition header: %v", err)
	}
	return ts, nil
}

// notModified reports whether a read of a resource last modified at lm is
// answered 304 (X-If-Modified-Since), and answers it.
func (c *call) notModified(lm store.Timestamp) bool {
	if c.ims == nil || lm > *c.ims {
		return false
	}
	c.sendNotModified(lm)
	return true
}

// unmodifiedFails reports whether X-If-Unmodified-Since fails for a read of
// a resource last modified at lm; a write leaves the check to the store,
// which makes it atomic with the write.
func (c *call) unmodifiedFails(lm store.Timestamp) bool {
	return c.pre.Set && lm > c.pre.IfUnmodifiedSince
}
