package store

import "fmt"

// This file holds the rules every backend applies the same way, so that
// they are written once: checking a query, filling limits, reading a quota
// option, folding a batch's staged writes.

// Check reports a query no backend may run: more than MaxIDs ids, an
// invalid id, a negative limit, newer or older, an unknown sort. Each is
// ErrInvalid. An offset is checked by the backend that made it.
func (q Query) Check() error {
	if len(q.IDs) > MaxIDs {
		return fmt.Errorf("%d ids, at most %d: %w", len(q.IDs), MaxIDs, ErrInvalid)
	}
	for _, id := range q.IDs {
		if !ValidID(id) {
			return fmt.Errorf("invalid id in ids: %w", ErrInvalid)
		}
	}
	switch {
	case q.Limit < 0:
		return fmt.Errorf("negative limit: %w", ErrInvalid)
	case q.Newer < 0 || q.Older < 0:
		return fmt.Errorf("negative newer or older: %w", ErrInvalid)
	case q.Sort < SortNone || q.Sort > SortIndex:
		return fmt.Errorf("unknown sort %d: %w", q.Sort, ErrInvalid)
	}
	return nil
}

// WithDefaults returns l with each field that is 0 or less set to its
// DefaultLimits value.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, d *int64 }{
		{&l.MaxRequestBytes, &d.MaxRequestBytes}, {&l.MaxPostBytes, &d.MaxPostBytes},
		{&l.MaxTotalBytes, &d.MaxTotalBytes}, {&l.MaxRecordPayloadBytes, &d.MaxRecordPayloadBytes},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if l.MaxPostRecords <= 0 {
		l.MaxPostRecords = d.MaxPostRecords
	}
	if l.MaxTotalRecords <= 0 {
		l.MaxTotalRecords = d.MaxTotalRecords
	}
	return l
}

// QuotaOption reads a backend's quota option as Store.Quota reports it:
// 0 means DefaultQuotaBytes, a negative value means unlimited (0).
func QuotaOption(q int64) int64 {
	switch {
	case q == 0:
		return DefaultQuotaBytes
	case q < 0:
		return 0
	}
	return q
}

// MergeWrites folds writes to the same id into one, later fields over
// earlier ones, as applying them in turn would; ids keep their first
// position. A batch's staged writes commit so.
func MergeWrites(ws []Write) []Write {
	at := make(map[string]int, len(ws))
	out := make([]Write, 0, len(ws))
	for _, x := range ws {
		i, seen := at[x.ID]
		if !seen {
			at[x.ID] = len(out)
			out = append(out, x)
			continue
		}
		m := &out[i]
		if x.Payload != nil {
			m.Payload = x.Payload
		}
		if x.SortIndex != nil {
			m.SortIndex = x.SortIndex
		}
		if x.TTL != nil {
			m.TTL = x.TTL
		}
	}
	return out
}

// MaxOpenBatches is the most batches a user may have open in one
// collection at once; BeginBatch beyond it is ErrSizeLimit. With the quota
// applied to each batch's staged bytes (CheckBatch), it bounds what
// uncommitted batches can hold.
const MaxOpenBatches = 8

// CheckBatch checks the totals a batch would reach with an append or a
// commit: past MaxTotalRecords or MaxTotalBytes is ErrSizeLimit; when
// appending, staged payload bytes past quota (> 0) is ErrOverQuota, as no
// commit of them could fit.
func (l Limits) CheckBatch(records, bytes, quota int64, appending bool) error {
	if records > int64(l.MaxTotalRecords) {
		return fmt.Errorf("batch of %d records, at most %d: %w", records, l.MaxTotalRecords, ErrSizeLimit)
	}
	if bytes > l.MaxTotalBytes {
		return fmt.Errorf("batch of %d bytes, at most %d: %w", bytes, l.MaxTotalBytes, ErrSizeLimit)
	}
	if appending && quota > 0 && bytes > quota {
		return fmt.Errorf("batch of %d bytes, quota %d: %w", bytes, quota, ErrOverQuota)
	}
	return nil
}
