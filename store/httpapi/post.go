package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// batchResult is the body of a batch open or append (202).
type batchResult struct {
	Batch   string            `json:"batch"`
	Success []string          `json:"success"`
	Failed  map[string]string `json:"failed"`
}

// postCollection serves POST storage/{collection}: a write of many
// records, or one step of a batch upload (batch=true opens, batch=ID
// appends, commit=true commits; reference §5.6).
func (s *server) postCollection(c *call) {
	v, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		s.fail(c, "post", badRequest(codeUnknown, "malformed query"), codeUnknown)
		return
	}
	batch, hasBatch := v.Get("batch"), v.Has("batch")
	commit := v.Has("commit")
	switch {
	case commit && !strings.EqualFold(v.Get("commit"), "true"):
		err = badRequest(codeUnknown, "commit is not true")
	case commit && !hasBatch:
		err = badRequest(codeUnknown, "commit without batch")
	case hasBatch && batch == "":
		err = badRequest(codeUnknown, "empty batch id")
	default:
		err = checkWeaveHeaders(c.r.Header, s.store.Limits())
	}
	if err != nil {
		s.fail(c, "post", err, codeUnknown)
		return
	}
	format, body, err := s.readBody(c, true)
	if err != nil {
		s.fail(c, "post", err, codeInvalidBSO)
		return
	}
	ws, failed, err := decodeWrites(format, body)
	if err == nil {
		err = checkKnownBadPayloads(c.collection, ws)
	}
	if err != nil {
		s.fail(c, "post", err, codeInvalidBSO)
		return
	}

	open := hasBatch && strings.EqualFold(batch, "true")
	ctx := c.r.Context()
	var res store.WriteResult
	switch {
	case !hasBatch || open && commit:
		res, err = s.store.Post(ctx, c.user, c.collection, ws, c.pre)
	case commit:
		res, err = s.store.CommitBatch(ctx, c.user, c.collection, batch, ws, c.pre)
	default:
		s.appendBatch(c, open, batch, ws, failed)
		return
	}
	if err != nil {
		s.fail(c, "post", err, codeInvalidBSO)
		return
	}
	for id, cause := range failed {
		res.Failed[id] = cause
	}
	c.stamp(res.Modified, len(res.Success) > 0)
	s.setQuotaRemaining(c)
	sendJSON(c.w, http.StatusOK, res)
}

// appendBatch opens a batch (open) or appends to batch, staging ws, and
// answers 202. Nothing is written to the collection, so
// X-If-Unmodified-Since is checked here against its current timestamp;
// the commit checks it again atomically.
func (s *server) appendBatch(c *call, open bool, batch string, ws []store.Write, failed map[string]string) {
	ctx := c.r.Context()
	page, err := s.store.List(ctx, c.user, c.collection, store.Query{Limit: 1, IDsOnly: true})
	if err != nil {
		s.fail(c, "batch", err, codeInvalidBSO)
		return
	}
	c.stamp(page.LastModified, false)
	if c.unmodifiedFails(page.LastModified) {
		sendCode(c.w, http.StatusPreconditionFailed, codeUnknown)
		return
	}
	if open {
		if batch, err = s.store.BeginBatch(ctx, c.user, c.collection); err != nil {
			s.fail(c, "batch", err, codeInvalidBSO)
			return
		}
	}
	res, err := s.store.AppendBatch(ctx, c.user, c.collection, batch, ws)
	if err != nil {
		s.fail(c, "batch", err, codeInvalidBSO)
		return
	}
	for id, cause := range failed {
		res.Failed[id] = cause
	}
	sendJSON(c.w, http.StatusAccepted, batchResult{Batch: batch, Success: res.Success, Failed: res.Failed})
}

// decodeWrites decodes the records of a POST body. A record that is not an
// object, has no id, or repeats an id fails the whole request; one that is
// not a valid BSO lands in failed, keyed by its id, and is not written.
func decodeWrites(format bodyFormat, body []byte) ([]store.Write, map[string]string, error) {
	raws, err := splitRecords(format, body)
	if err != nil {
		return nil, nil, err
	}
	ws := make([]store.Write, 0, len(raws))
	failed := map[string]string{}
	seen := make(map[string]bool, len(raws))
	for i, raw := range raws {
		d, err := decodeRecord(raw)
		if err != nil {
			return nil, nil, err
		}
		if !d.hasID || d.write.ID == "" {
			return nil, nil, badRequest(codeInvalidBSO, "record %d has no id", i)
		}
		if seen[d.write.ID] {
			return nil, nil, badRequest(codeInvalidBSO, "record %d repeats an id", i)
		}
		seen[d.write.ID] = true
		if d.cause != "" {
			failed[d.write.ID] = d.cause
			continue
		}
		ws = append(ws, d.write)
	}
	return ws, failed, nil
}

// checkWeaveHeaders checks the sizes a client announces for a POST and its
// batch: over the matching limit is 400 with respcode 17, a value that is
// not a non-negative integer is 400.
func checkWeaveHeaders(h http.Header, l store.Limits) error {
	for _, x := range []struct {
		name string
		max  int64
	}{
		{"X-Weave-Records", int64(l.MaxPostRecords)},
		{"X-Weave-Bytes", l.MaxPostBytes},
		{"X-Weave-Total-Records", int64(l.MaxTotalRecords)},
		{"X-Weave-Total-Bytes", l.MaxTotalBytes},
	} {
		v := h.Get(x.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest(codeUnknown, "%s is not a count", x.name)
		}
		if n > x.max {
			return badRequest(codeSizeLimit, "%s over %d", x.name, x.max)
		}
	}
	return nil
}
