package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/contactbridge/contactbridge/store"
)

// getRecord serves GET storage/{collection}/{id}: the record, or 404.
func (s *server) getRecord(c *call) {
	b, err := s.store.Get(c.r.Context(), c.user, c.collection, c.id)
	if err != nil {
		s.fail(c, "get", err, codeInvalidBSO)
		return
	}
	if c.notModified(b.Modified) {
		return
	}
	c.stamp(b.Modified, false)
	if c.unmodifiedFails(b.Modified) {
		sendCode(c.w, http.StatusPreconditionFailed, codeUnknown)
		return
	}
	sendJSON(c.w, http.StatusOK, b)
}

// putRecord serves PUT storage/{collection}/{id}: creates or updates the
// record; fields the body leaves out keep their stored value. The body is
// the new timestamp.
func (s *server) putRecord(c *call) {
	_, body, err := s.readBody(c, false)
	if err == nil && !json.Valid(body) {
		err = badRequest(codeMalformedJSON, "body is not JSON")
	}
	var d decodedRecord
	if err == nil {
		d, err = decodeRecord(body)
	}
	switch {
	case err != nil:
	case d.cause != "":
		// A PUT refuses what a POST would fail record by record.
		err = badRequest(codeInvalidBSO, "%s", d.cause)
	case d.hasID && d.write.ID != c.id:
		err = badRequest(codeInvalidBSO, "body id differs from the path's")
	default:
		err = checkKnownBadPayloads(c.collection, []store.Write{d.write})
	}
	if err != nil {
		s.fail(c, "put", err, codeInvalidBSO)
		return
	}
	d.write.ID = c.id
	ts, err := s.store.Put(c.r.Context(), c.user, c.collection, d.write, c.pre)
	if err != nil {
		s.fail(c, "put", err, codeInvalidBSO)
		return
	}
	c.stamp(ts, true)
	s.setQuotaRemaining(c)
	sendJSON(c.w, http.StatusOK, ts)
}

// deleteRecord serves DELETE storage/{collection}/{id}: 404 when the
// record does not exist.
func (s *server) deleteRecord(c *call) {
	ts, err := s.store.Delete(c.r.Context(), c.user, c.collection, c.id, c.pre)
	if err != nil {
		s.fail(c, "delete", err, codeInvalidBSO)
		return
	}
	c.stamp(ts, true)
	s.setQuotaRemaining(c)
	sendJSON(c.w, http.StatusOK, modifiedResult{Modified: ts})
}
