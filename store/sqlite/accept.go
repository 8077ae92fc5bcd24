package sqlite

import (
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// accept sorts the records of one POST (or batch append) into the writes to
// store and the failures, as a Sync 1.5 server does: records past
// MaxPostRecords fail "retry bso", a record over MaxRecordPayloadBytes or
// one that would take the request past MaxPostBytes fails "retry bytes" (as
// does every record after it, so that a client resending the failures keeps
// their order), an invalid record fails "invalid bso: …". A missing or
// duplicate id fails the whole request with ErrInvalid.
func (s *Store) accept(ws []store.Write) (ok []store.Write, res store.WriteResult, bytes int64, err error) {
	res = store.WriteResult{Success: []string{}, Failed: map[string]string{}}
	seen := make(map[string]struct{}, len(ws))
	for i, w := range ws {
		if w.ID == "" {
			return nil, res, 0, fmt.Errorf("record %d has no id: %w", i, store.ErrInvalid)
		}
		if _, dup := seen[w.ID]; dup {
			return nil, res, 0, fmt.Errorf("duplicate id %q: %w", w.ID, store.ErrInvalid)
		}
		seen[w.ID] = struct{}{}
	}
	ok = make([]store.Write, 0, min(len(ws), s.limits.MaxPostRecords))
	full := false
	for i, w := range ws {
		if cause := invalid(w); cause != "" {
			res.Failed[w.ID] = store.ReasonInvalid + ": " + cause
			continue
		}
		if i >= s.limits.MaxPostRecords {
			res.Failed[w.ID] = store.ReasonRetryBSO
			continue
		}
		n := payloadSize(w)
		if n > s.limits.MaxRecordPayloadBytes {
			res.Failed[w.ID] = store.ReasonRetryBytes
			continue
		}
		if full || bytes+n > s.limits.MaxPostBytes {
			full = true
			res.Failed[w.ID] = store.ReasonRetryBytes
			continue
		}
		bytes += n
		ok = append(ok, w)
		res.Success = append(res.Success, w.ID)
	}
	return ok, res, bytes, nil
}

// invalid returns why w is not a valid record, or "".
func invalid(w store.Write) string {
	switch {
	case !store.ValidID(w.ID):
		return "invalid id"
	case w.SortIndex != nil && (*w.SortIndex > store.MaxSortIndex || *w.SortIndex < -store.MaxSortIndex):
		return "invalid sortindex"
	case w.TTL != nil && (*w.TTL < 0 || *w.TTL > store.MaxTTL):
		return "invalid ttl"
	}
	return ""
}

// checkWrite validates the record of a single-record Put.
func (s *Store) checkWrite(w store.Write) error {
	if cause := invalid(w); cause != "" {
		return fmt.Errorf("%s: %w", cause, store.ErrInvalid)
	}
	if payloadSize(w) > s.limits.MaxRecordPayloadBytes {
		return fmt.Errorf("payload of %d bytes: %w", payloadSize(w), store.ErrSizeLimit)
	}
	return nil
}

// payloadSize is the size of w's payload in bytes (0 when it keeps the
// stored one).
func payloadSize(w store.Write) int64 {
	if w.Payload == nil {
		return 0
	}
	return int64(len(*w.Payload))
}
