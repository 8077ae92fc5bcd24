package googletest

import (
	"net/http"
	"time"
)

// A bucket is one of the per-user quotas of reference §5.
type bucket int

const (
	bReads bucket = iota
	bWrites
	bDeletes // contact deletes and contact group writes
	bGroupReads
	bPhotoWrites
	bFirstPage // first page of a full sync
	bDaily     // daily contact writes
)

type cost struct {
	b bucket
	n int
}

// A window counts a bucket's use in the current minute (or day).
type window struct {
	index int64
	used  int
}

func (q Quota) limit(b bucket) (int, time.Duration) {
	switch b {
	case bReads:
		return q.CriticalReadsPerMinute, time.Minute
	case bWrites:
		return q.CriticalWritesPerMinute, time.Minute
	case bDeletes:
		return q.DeletesAndGroupWritesPerMinute, time.Minute
	case bGroupReads:
		return q.GroupReadsPerMinute, time.Minute
	case bPhotoWrites:
		return q.PhotoWritesPerMinute, time.Minute
	case bFirstPage:
		return q.FullSyncFirstPagesPerMinute, time.Minute
	case bDaily:
		return q.ContactWritesPerDay, 24 * time.Hour
	}
	return 0, time.Minute
}

// charge takes costs from u's quotas, all or nothing: if any bucket would go
// over its limit the request is refused with 429 RESOURCE_EXHAUSTED and the
// QuotaFailure body, without Retry-After (reference §5, §10.6). Callers hold
// s.mu.
func (s *Server) charge(u *User, costs ...cost) *apiError {
	now := s.now()
	type use struct {
		w     *window
		index int64
		n     int
	}
	var uses []use
	for _, c := range costs {
		limit, period := s.opts.Quota.limit(c.b)
		if limit <= 0 {
			continue
		}
		w := u.usage[c.b]
		if w == nil {
			w = &window{index: -1}
			u.usage[c.b] = w
		}
		index := now.UnixNano() / int64(period)
		used := w.used
		if w.index != index {
			used = 0
		}
		if used+c.n > limit {
			return statusError(http.StatusTooManyRequests)
		}
		uses = append(uses, use{w, index, c.n})
	}
	for _, x := range uses {
		if x.w.index != x.index {
			x.w.index, x.w.used = x.index, 0
		}
		x.w.used += x.n
	}
	return nil
}
