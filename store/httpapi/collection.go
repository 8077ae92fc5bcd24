package httpapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// getCollection serves GET storage/{collection}: ids, or full records with
// full=, as a JSON array or as application/newlines. A missing collection
// reads as [].
func (s *server) getCollection(c *call) {
	lq, err := parseListQuery(c.r.URL.RawQuery)
	if err != nil {
		s.fail(c, "list", err, codeUnknown)
		return
	}
	q := lq.q
	if lq.noIDs {
		// Nothing to read but the collection's timestamp.
		q = store.Query{Limit: 1, IDsOnly: true}
	}
	page, err := s.store.List(c.r.Context(), c.user, c.collection, q)
	if err != nil {
		s.fail(c, "list", err, codeUnknown)
		return
	}
	if lq.noIDs {
		page.Records, page.NextOffset = nil, ""
	}
	if c.notModified(page.LastModified) {
		return
	}
	c.stamp(page.LastModified, false)
	if c.unmodifiedFails(page.LastModified) {
		sendCode(c.w, http.StatusPreconditionFailed, codeUnknown)
		return
	}
	h := c.w.Header()
	h.Set("X-Weave-Records", strconv.Itoa(len(page.Records)))
	if page.NextOffset != "" {
		h.Set("X-Weave-Next-Offset", page.NextOffset)
	}
	values := make([]any, len(page.Records))
	for i, b := range page.Records {
		if lq.q.IDsOnly {
			values[i] = b.ID
		} else {
			values[i] = b
		}
	}
	if wantsNewlines(c.r.Header.Values("Accept")) {
		sendNewlines(c.w, values)
		return
	}
	sendJSON(c.w, http.StatusOK, values)
}

// wantsNewlines reports whether an Accept header prefers
// application/newlines to application/json (the default; a tie goes to
// the type listed first).
func wantsNewlines(accept []string) bool {
	best, bestQ := false, -1.0
	for _, field := range accept {
		for _, part := range strings.Split(field, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil {
					continue
				}
			}
			var newlines bool
			switch mt {
			case "application/newlines":
				newlines = true
			case "application/json", "application/*", "*/*":
			default:
				continue
			}
			if q > bestQ {
				best, bestQ = newlines, q
			}
		}
	}
	return best && bestQ > 0
}

// sendNewlines answers 200 with one JSON value per line. encoding/json
// escapes a newline inside a string, so every value stays on its line.
func sendNewlines(w http.ResponseWriter, values []any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			sendCode(w, http.StatusInternalServerError, codeUnknown)
			return
		}
	}
	w.Header().Set("Content-Type", "application/newlines")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// deleteCollection serves DELETE storage/{collection}: the whole
// collection, or with ids= only those records (the collection remains).
func (s *server) deleteCollection(c *call) {
	v, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		s.fail(c, "delete", badRequest(codeUnknown, "malformed query"), codeUnknown)
		return
	}
	var ts store.Timestamp
	if v.Has("ids") {
		var ids []string
		if ids, err = parseIDs(v.Get("ids")); err == nil {
			ts, err = s.store.DeleteIDs(c.r.Context(), c.user, c.collection, ids, c.pre)
		}
	} else {
		ts, err = s.store.DeleteCollection(c.r.Context(), c.user, c.collection, c.pre)
	}
	if err != nil {
		s.fail(c, "delete", err, codeInvalidBSO)
		return
	}
	c.stamp(ts, true)
	s.setQuotaRemaining(c)
	sendJSON(c.w, http.StatusOK, modifiedResult{Modified: ts})
}
