package httpapi

import (
	"fmt"
)

// setQuotaRemaining sets X-Weave-Quota-Remaining after a write when the
// store has a quota: what the collection may still take, in KB (the quota
// is per user and collection, reference §5.10a).
func (s *server) setQuotaRemaining(c *call) {
	q := s.store.Quota()
	if q <= 0 {
		return
	}
	info, err := s.store.Info(c.r.Context(), c.user)
	if err != nil {
		// The write succeeded; only the hint is missing.
		s.log.WarnContext(c.r.Context(), "quota remaining", "op", "info", "user", c.user, "err", err)
		return
	}
	left := max(q-info[c.collection].Bytes, 0)
	c.w.Header().Set("X-Weave-Quota-Remaining", fmt.Sprintf("%.2f", float64(left)/1024))
}
