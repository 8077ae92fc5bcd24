package store

import "fmt"

// Accept sorts the records of one POST (or batch append) into the writes to
// store and the failures, as a Sync 1.5 server does: records past
// MaxPostRecords fail "retry bso", a record over MaxRecordPayloadBytes or
// one that would take the request past MaxPostBytes fails "retry bytes" (as
// does every record after it, so that a client resending the failures keeps
// their order), an invalid record fails "invalid bso: …". A missing or
// duplicate id fails the whole request with ErrInvalid. Backends call it
// with their limits; bytes is the payload size of ok.
func (l Limits) Accept(ws []Write) (ok []Write, res WriteResult, bytes int64, err error) {
	res = WriteResult{Success: []string{}, Failed: map[string]string{}}
	seen := make(map[string]struct{}, len(ws))
	for i, w := range ws {
		if w.ID == "" {
			return nil, res, 0, fmt.Errorf("record %d has no id: %w", i, ErrInvalid)
		}
		if _, dup := seen[w.ID]; dup {
			return nil, res, 0, fmt.Errorf("duplicate id %q: %w", w.ID, ErrInvalid)
		}
		seen[w.ID] = struct{}{}
	}
	ok = make([]Write, 0, min(len(ws), l.MaxPostRecords))
	full := false
	for i, w := range ws {
		if cause := w.Invalid(); cause != "" {
			res.Failed[w.ID] = ReasonInvalid + ": " + cause
			continue
		}
		if i >= l.MaxPostRecords {
			res.Failed[w.ID] = ReasonRetryBSO
			continue
		}
		n := w.PayloadSize()
		if n > l.MaxRecordPayloadBytes {
			res.Failed[w.ID] = ReasonRetryBytes
			continue
		}
		if full || bytes+n > l.MaxPostBytes {
			full = true
			res.Failed[w.ID] = ReasonRetryBytes
			continue
		}
		bytes += n
		ok = append(ok, w)
		res.Success = append(res.Success, w.ID)
	}
	return ok, res, bytes, nil
}

// Invalid returns why w is not a valid record (its id, sortindex or ttl),
// or "".
func (w Write) Invalid() string {
	switch {
	case !ValidID(w.ID):
		return "invalid id"
	case w.SortIndex != nil && (*w.SortIndex > MaxSortIndex || *w.SortIndex < -MaxSortIndex):
		return "invalid sortindex"
	case w.TTL != nil && (*w.TTL < 0 || *w.TTL > MaxTTL):
		return "invalid ttl"
	}
	return ""
}

// CheckWrite validates the record of a single-record Put: ErrInvalid for
// an invalid record, ErrSizeLimit for a payload over
// MaxRecordPayloadBytes.
func (l Limits) CheckWrite(w Write) error {
	if cause := w.Invalid(); cause != "" {
		return fmt.Errorf("%s: %w", cause, ErrInvalid)
	}
	if w.PayloadSize() > l.MaxRecordPayloadBytes {
		return fmt.Errorf("payload of %d bytes: %w", w.PayloadSize(), ErrSizeLimit)
	}
	return nil
}

// PayloadSize is the size of w's payload in bytes (0 when it keeps the
// stored one).
func (w Write) PayloadSize() int64 {
	if w.Payload == nil {
		return 0
	}
	return int64(len(*w.Payload))
}
