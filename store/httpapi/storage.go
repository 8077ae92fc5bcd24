package httpapi

import (
	"errors"
	"net/http"

	"github.com/contactbridge/contactbridge/store"
)

// deleteStorage serves DELETE storage and DELETE on the user's base URL:
// everything the user stored goes. The body is null, as syncstorage-rs
// answers.
func (s *server) deleteStorage(c *call) {
	err := s.store.DeleteUser(c.r.Context(), c.user)
	var ts store.Timestamp
	if err == nil {
		ts, err = s.storageModified(c, nil)
	}
	if err != nil {
		s.fail(c, "delete storage", err, codeUnknown)
		return
	}
	c.stamp(ts, true)
	sendJSON(c.w, http.StatusOK, nil)
}

// probeCollection names the collection storageModified asks about. A
// client could use the name; then the probe falls back to the newest
// collection.
const probeCollection = "..storage-timestamp"

// storageModified returns the user's storage timestamp, which deletes bump
// too, so that info/collections answers 304 only when nothing changed.
// store.Store has no method for it, but DeleteCollection of a missing
// collection returns it and changes nothing; "only if absent" guarantees
// that even if the probe's collection exists. info, when known, gives the
// fallback for that case.
func (s *server) storageModified(c *call, info map[string]store.Usage) (store.Timestamp, error) {
	ts, err := s.store.DeleteCollection(c.r.Context(), c.user, probeCollection, store.Since(0))
	if errors.Is(err, store.ErrPreconditionFailed) {
		ts, err = 0, nil
		for _, u := range info {
			ts = max(ts, u.Modified)
		}
	}
	return ts, err
}
