package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// wireWrite is a store.Write as a Sync BSO body: absent fields are left
// out, so that a PUT keeps them.
type wireWrite struct {
	ID        string  `json:"id,omitempty"`
	Payload   *string `json:"payload,omitempty"`
	SortIndex *int64  `json:"sortindex,omitempty"`
	TTL       *int64  `json:"ttl,omitempty"`
}

func wire(ws []store.Write) []wireWrite {
	out := make([]wireWrite, len(ws))
	for i, w := range ws {
		out[i] = wireWrite{ID: w.ID, Payload: w.Payload, SortIndex: w.SortIndex, TTL: w.TTL}
	}
	return out
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, user, collection string, w store.Write, pre store.Precondition) (store.Timestamp, error) {
	op := "put " + collection + "/" + w.ID
	if err := check(op, collection, w.ID, true); err != nil {
		return 0, err
	}
	ww := wireWrite{Payload: w.Payload, SortIndex: w.SortIndex, TTL: w.TTL}
	body, err := json.Marshal(ww)
	if err != nil {
		return 0, fmt.Errorf("remote: %s: %w", op, err)
	}
	// Sent again after a lost answer only without a precondition: the
	// second attempt of a conditional one would fail on the first's
	// timestamp though the write took place.
	r, err := s.do(ctx, &call{op: op, user: user, method: http.MethodPut, path: itemPath(collection, w.ID),
		header: precondition(nil, pre), body: body, ctype: "application/json", safe: !pre.Set})
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		return 0, fail(op, r)
	}
	return timestampOf(op, r)
}

// Post implements store.Store.
func (s *Store) Post(ctx context.Context, user, collection string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	op := "post " + collection
	if err := check(op, collection, "", false); err != nil {
		return store.WriteResult{}, err
	}
	res, _, err := s.postBatch(ctx, op, user, collection, nil, ws, pre)
	return res, err
}

// BeginBatch implements store.Store: an empty POST with batch=true.
func (s *Store) BeginBatch(ctx context.Context, user, collection string) (string, error) {
	op := "begin batch " + collection
	if err := check(op, collection, "", false); err != nil {
		return "", err
	}
	_, batch, err := s.postBatch(ctx, op, user, collection, url.Values{"batch": {"true"}}, []store.Write{}, store.Precondition{})
	if err != nil {
		return "", err
	}
	if batch == "" {
		return "", fmt.Errorf("remote: %s: the server gave no batch id (it may not support batches)", op)
	}
	return batch, nil
}

// AppendBatch implements store.Store.
func (s *Store) AppendBatch(ctx context.Context, user, collection, batch string, ws []store.Write) (store.WriteResult, error) {
	op := "append batch " + collection
	if err := check(op, collection, "", false); err != nil {
		return store.WriteResult{}, err
	}
	res, _, err := s.postBatch(ctx, op, user, collection, url.Values{"batch": {batch}}, ws, store.Precondition{})
	res.Modified = 0
	return res, batchErr(err)
}

// CommitBatch implements store.Store.
func (s *Store) CommitBatch(ctx context.Context, user, collection, batch string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	op := "commit batch " + collection
	if err := check(op, collection, "", false); err != nil {
		return store.WriteResult{}, err
	}
	res, _, err := s.postBatch(ctx, op, user, collection, url.Values{"batch": {batch}, "commit": {"true"}}, ws, pre)
	return res, batchErr(err)
}

// batchErr makes a 400 that is not about the records (bad JSON, invalid
// record, over quota, size) the unknown or expired batch id it means:
// Sync servers answer both with 400.
func batchErr(err error) error {
	var se *statusErr
	if errors.As(err, &se) && se.status == http.StatusBadRequest && errors.Is(err, store.ErrInvalid) && se.code != 6 && se.code != 8 {
		return fmt.Errorf("%w (%w)", err, store.ErrBatchNotFound)
	}
	return err
}

// postBatch sends ws as one POST and reads the write result and the batch
// id, if any.
func (s *Store) postBatch(ctx context.Context, op, user, collection string, q url.Values, ws []store.Write, pre store.Precondition) (store.WriteResult, string, error) {
	body, err := json.Marshal(wire(ws))
	if err != nil {
		return store.WriteResult{}, "", fmt.Errorf("remote: %s: %w", op, err)
	}
	// A POST is not sent again after a lost answer: with a precondition
	// the second attempt would fail on the first's timestamp, and the
	// caller reads the collection anyway.
	r, err := s.do(ctx, &call{op: op, user: user, method: http.MethodPost, path: "storage/" + collection, query: q,
		header: precondition(nil, pre), body: body, ctype: "application/json"})
	if err != nil {
		return store.WriteResult{}, "", err
	}
	if r.status != http.StatusOK && r.status != http.StatusAccepted {
		return store.WriteResult{}, "", fail(op, r)
	}
	var w struct {
		store.WriteResult
		Batch string `json:"batch"`
	}
	if err := json.Unmarshal(r.body, &w); err != nil {
		return store.WriteResult{}, "", fmt.Errorf("remote: %s: %w", op, err)
	}
	res := w.WriteResult
	if res.Modified == 0 {
		res.Modified = r.lastModified()
	}
	if res.Success == nil {
		res.Success = []string{}
	}
	if res.Failed == nil {
		res.Failed = map[string]string{}
	}
	return res, w.Batch, nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, user, collection, id string, pre store.Precondition) (store.Timestamp, error) {
	op := "delete " + collection + "/" + id
	if err := check(op, collection, id, true); err != nil {
		return 0, err
	}
	return s.delete(ctx, &call{op: op, user: user, method: http.MethodDelete, path: itemPath(collection, id),
		header: precondition(nil, pre), safe: !pre.Set})
}

// DeleteIDs implements store.Store.
func (s *Store) DeleteIDs(ctx context.Context, user, collection string, ids []string, pre store.Precondition) (store.Timestamp, error) {
	op := "delete ids of " + collection
	if err := check(op, collection, "", false); err != nil {
		return 0, err
	}
	if len(ids) == 0 || len(ids) > store.MaxIDs {
		return 0, fmt.Errorf("remote: %s: %d ids, 1 to %d: %w", op, len(ids), store.MaxIDs, store.ErrInvalid)
	}
	for _, id := range ids {
		if !store.ValidID(id) {
			return 0, fmt.Errorf("remote: %s: id %q: %w", op, id, store.ErrInvalid)
		}
	}
	return s.delete(ctx, &call{op: op, user: user, method: http.MethodDelete, path: "storage/" + collection,
		query: url.Values{"ids": {strings.Join(ids, ",")}}, header: precondition(nil, pre), safe: !pre.Set})
}

// DeleteCollection implements store.Store.
func (s *Store) DeleteCollection(ctx context.Context, user, collection string, pre store.Precondition) (store.Timestamp, error) {
	op := "delete " + collection
	if err := check(op, collection, "", false); err != nil {
		return 0, err
	}
	return s.delete(ctx, &call{op: op, user: user, method: http.MethodDelete, path: "storage/" + collection,
		header: precondition(nil, pre), safe: !pre.Set})
}

// DeleteUser implements store.Store.
func (s *Store) DeleteUser(ctx context.Context, user string) error {
	op := "delete storage"
	r, err := s.do(ctx, &call{op: op, user: user, method: http.MethodDelete, path: "storage", safe: true})
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return fail(op, r)
	}
	return nil
}

// delete sends a DELETE and reads the timestamp it answers.
func (s *Store) delete(ctx context.Context, c *call) (store.Timestamp, error) {
	r, err := s.do(ctx, c)
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		return 0, fail(c.op, r)
	}
	return timestampOf(c.op, r)
}

// timestampOf reads the timestamp a write answers: a bare number, or
// {"modified": n}, or failing both X-Last-Modified.
func timestampOf(op string, r *response) (store.Timestamp, error) {
	var ts store.Timestamp
	if err := json.Unmarshal(r.body, &ts); err == nil {
		return ts, nil
	}
	var w struct {
		Modified *store.Timestamp `json:"modified"`
	}
	if err := json.Unmarshal(r.body, &w); err == nil && w.Modified != nil {
		return *w.Modified, nil
	}
	if ts := r.lastModified(); ts > 0 {
		return ts, nil
	}
	return 0, fmt.Errorf("remote: %s: the answer carries no timestamp", op)
}
