package httpapi

import (
	"net/http"
	"strconv"

	"github.com/contactbridge/contactbridge/store"
)

// usage reads the user's collections and the storage timestamp for an info
// request, and answers 304 or an error itself; ok is false when it did.
func (s *server) usage(c *call) (info map[string]store.Usage, ok bool) {
	info, err := s.store.Info(c.r.Context(), c.user)
	if err == nil {
		var lm store.Timestamp
		lm, err = s.storageModified(c, info)
		if err == nil {
			if c.notModified(lm) {
				return nil, false
			}
			c.stamp(lm, false)
		}
	}
	if err != nil {
		s.fail(c, "info", err, codeUnknown)
		return nil, false
	}
	return info, true
}

// sendMap answers an info map, with X-Weave-Records as syncstorage-rs does.
func sendMap[V any](c *call, m map[string]V) {
	c.w.Header().Set("X-Weave-Records", strconv.Itoa(len(m)))
	sendJSON(c.w, http.StatusOK, m)
}

// infoCollections serves info/collections: each collection's timestamp.
func (s *server) infoCollections(c *call) {
	info, ok := s.usage(c)
	if !ok {
		return
	}
	m := make(map[string]store.Timestamp, len(info))
	for name, u := range info {
		m[name] = u.Modified
	}
	sendMap(c, m)
}

// infoUsage serves info/collection_usage: each collection's payload bytes,
// in KB.
func (s *server) infoUsage(c *call) {
	info, ok := s.usage(c)
	if !ok {
		return
	}
	m := make(map[string]float64, len(info))
	for name, u := range info {
		m[name] = float64(u.Bytes) / 1024
	}
	sendMap(c, m)
}

// infoCounts serves info/collection_counts: each collection's record count.
func (s *server) infoCounts(c *call) {
	info, ok := s.usage(c)
	if !ok {
		return
	}
	m := make(map[string]int64, len(info))
	for name, u := range info {
		m[name] = u.Count
	}
	sendMap(c, m)
}

// infoQuota serves info/quota: [usage in KB, quota in KB or null]. The
// usage is the user's total; the quota applies to each collection.
func (s *server) infoQuota(c *call) {
	info, ok := s.usage(c)
	if !ok {
		return
	}
	var total int64
	for _, u := range info {
		total += u.Bytes
	}
	var quota *float64
	if q := s.store.Quota(); q > 0 {
		kb := float64(q) / 1024
		quota = &kb
	}
	sendJSON(c.w, http.StatusOK, []any{float64(total) / 1024, quota})
}

// configuration is the body of info/configuration: the store's limits,
// and its quota when it has one.
type configuration struct {
	store.Limits
	MaxQuotaLimit int64 `json:"max_quota_limit,omitempty"`
}

// infoConfiguration serves info/configuration. Its resource never
// changes: X-Last-Modified is 0.00, as syncstorage-rs sends.
func (s *server) infoConfiguration(c *call) {
	if c.notModified(0) {
		return
	}
	c.stamp(0, false)
	sendJSON(c.w, http.StatusOK, configuration{Limits: s.store.Limits(), MaxQuotaLimit: max(s.store.Quota(), 0)})
}
