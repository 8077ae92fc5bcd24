package outlook

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// Create implements connectors.Connector (one write of WriteBatch).
func (c *Connector) Create(ctx context.Context, key string, card *mapping.Card) (connectors.Item, error) {
	r := c.WriteBatch(ctx, []connectors.Write{{Op: connectors.OpCreate, Key: key, Card: card}})[0]
	return r.Item, r.Err
}

// Update implements connectors.Connector (one write of WriteBatch).
func (c *Connector) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	r := c.WriteBatch(ctx, []connectors.Write{{Op: connectors.OpUpdate, ID: id, ETag: etag, Card: card}})[0]
	return r.Item, r.Err
}

// Delete implements connectors.Connector (one write of WriteBatch).
func (c *Connector) Delete(ctx context.Context, id, etag string) error {
	return c.WriteBatch(ctx, []connectors.Write{{Op: connectors.OpDelete, ID: id, ETag: etag}})[0].Err
}

// WriteBatch implements connectors.BatchWriter: the writes go in
// sequential $batch requests of 20, up to Concurrency of them at once.
// Creates carry the record key in an extended property; updates and
// deletes carry If-Match. Photos follow in a second batch of the group:
// PUT …/photo/$value, then a read of the contact's new change key.
func (c *Connector) WriteBatch(ctx context.Context, ws []connectors.Write) []connectors.WriteResult {
	out := make([]connectors.WriteResult, len(ws))
	fid, err := c.resolveFolder(ctx)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	var wg sync.WaitGroup
	for start := 0; start < len(ws); start += maxBatch {
		end := min(start+maxBatch, len(ws))
		wg.Go(func() { c.writeGroup(ctx, fid, ws[start:end], out[start:end]) })
	}
	wg.Wait()
	return out
}

// pending is one write of a group on its way.
type pending struct {
	w     connectors.Write
	photo []byte   // the JPEG to store, when the card has one Outlook can hold
	got   *Contact // what Graph answered
}

// writeGroup carries out at most 20 writes.
func (c *Connector) writeGroup(ctx context.Context, fid string, ws []connectors.Write, out []connectors.WriteResult) {
	done := c.madeBefore(ctx, ws, out)
	var ps []*pending
	var steps []step
	var at []int // index in ws of each pending write
	idempotent := true
	for i, w := range ws {
		if done[i] {
			continue
		}
		p := &pending{w: w}
		ps, at = append(ps, p), append(at, i)
		steps = append(steps, step{})
		i := len(steps) - 1
		switch w.Op {
		case connectors.OpCreate:
			idempotent = false
			var ct *Contact
			ct, p.photo = fromCard(w.Card)
			body := writeBody(ct)
			body["singleValueExtendedProperties"] = []ExtendedProperty{{ID: keyProperty, Value: w.Key}}
			steps[i] = step{method: http.MethodPost, url: folderPath(fid), json: body}
		case connectors.OpUpdate:
			var ct *Contact
			ct, p.photo = fromCard(w.Card)
			steps[i] = step{method: http.MethodPatch, url: folderPath(fid) + "/" + url.PathEscape(w.ID), json: writeBody(ct), header: ifMatch(w.ETag)}
		case connectors.OpDelete:
			steps[i] = step{method: http.MethodDelete, url: folderPath(fid) + "/" + url.PathEscape(w.ID), header: ifMatch(w.ETag)}
		}
	}
	name := map[connectors.WriteOp]string{connectors.OpCreate: "contacts.create", connectors.OpUpdate: "contacts.update",
		connectors.OpDelete: "contacts.delete"}[ws[0].Op]
	if len(steps) == 0 {
		return
	}
	all := out
	out = make([]connectors.WriteResult, len(ps))
	defer func() {
		for k, i := range at {
			all[i] = out[k]
		}
	}()
	for i, r := range c.c.batch(ctx, name, steps, nil, true, idempotent) {
		p := ps[i]
		if p.w.ID != "" {
			// What the last listing carried of it is stale now (or
			// unsure): Fetch reads it anew.
			c.mu.Lock()
			delete(c.seen, p.w.ID)
			c.mu.Unlock()
		}
		switch {
		case !r.ok():
			out[i].Err = c.writeError(p.w, r)
		case p.w.Op == connectors.OpDelete:
			c.forgetPhoto(p.w.ID)
		default:
			var ct Contact
			if err := json.Unmarshal(r.body, &ct); err != nil || ct.ID == "" {
				out[i].Err = connectors.Transient(fmt.Errorf("outlook: %s: the answer is not a contact", name))
				continue
			}
			p.got = &ct
			if p.w.Op == connectors.OpCreate {
				c.mu.Lock()
				c.keys[p.w.Key] = ct.ID
				c.mu.Unlock()
			}
		}
	}
	c.writePhotos(ctx, ps, out)
	for i, p := range ps {
		if p.got != nil && out[i].Err == nil {
			out[i].Item = c.written(p)
		}
	}
}

// madeBefore completes the creates of ws whose key this connector already
// made a contact for (a retry): they return that contact, read anew, as
// the connectors.Connector contract asks. It reports which writes are
// done. A contact deleted since is created again.
func (c *Connector) madeBefore(ctx context.Context, ws []connectors.Write, out []connectors.WriteResult) []bool {
	done := make([]bool, len(ws))
	at := map[string]int{}
	var ids []string
	c.mu.Lock()
	for i, w := range ws {
		if id, ok := c.keys[w.Key]; ok && w.Op == connectors.OpCreate {
			at[id] = i
			ids = append(ids, id)
		}
	}
	c.mu.Unlock()
	if len(ids) == 0 {
		return done
	}
	err := c.Fetch(ctx, ids, func(it connectors.Item) error {
		i := at[it.ID]
		switch {
		case errors.Is(it.Err, connectors.ErrNotFound):
			c.mu.Lock()
			delete(c.keys, ws[i].Key)
			c.mu.Unlock()
		case it.Err != nil:
			done[i], out[i].Err = true, it.Err
		default:
			it.Key = ws[i].Key
			done[i], out[i].Item = true, it
		}
		return nil
	})
	if err != nil {
		for _, i := range at {
			if !done[i] {
				done[i], out[i].Err = true, err
			}
		}
	}
	return done
}

// ifMatch is the precondition header for etag.
func ifMatch(etag string) map[string]string {
	if etag == "" {
		return nil
	}
	return map[string]string{"If-Match": etag}
}

// writeError is the error of a write that failed, naming the item.
func (c *Connector) writeError(w connectors.Write, r result) error {
	err := r.apiError()
	if errors.Is(err, connectors.ErrNotFound) || errors.Is(err, connectors.ErrPreconditionFailed) {
		return fmt.Errorf("outlook: %s: %w", w.ID, err)
	}
	id := w.ID
	if id == "" {
		id = "new contact for record " + w.Key
	}
	return &connectors.ItemError{Account: c.c.account, ID: id, Err: err}
}

// writePhotos stores the photos of the writes that succeeded and whose
// photo Outlook does not already have, and reads each contact's change key
// after (a photo changes it). Graph documents no way to remove a contact
// photo: one the card lost is deleted where the server allows it, and
// otherwise stays, with a warning.
func (c *Connector) writePhotos(ctx context.Context, ps []*pending, out []connectors.WriteResult) {
	var steps []step
	var owner []int
	var putAt []int // index of the photo step of each write, or -1
	for i, p := range ps {
		putAt = append(putAt, -1)
		if p.got == nil || out[i].Err != nil {
			continue
		}
		photoURL := "/me/contacts/" + url.PathEscape(p.got.ID) + "/photo/$value"
		switch have, known := c.photoOf(p.got.ID); {
		case p.photo != nil && (!known || have != photoHash(p.photo)):
			putAt[i] = len(steps)
			steps = append(steps, step{method: http.MethodPut, url: photoURL, binary: p.photo, header: map[string]string{"Content-Type": "image/jpeg"}})
		case p.photo == nil && known && have != [32]byte{}:
			putAt[i] = len(steps)
			steps = append(steps, step{method: http.MethodDelete, url: photoURL})
		default:
			continue
		}
		owner = append(owner, i)
		steps = append(steps, step{method: http.MethodGet, url: "/me/contacts/" + url.PathEscape(p.got.ID) + "?$select=id"})
		owner = append(owner, i)
	}
	if len(steps) == 0 {
		return
	}
	res := c.c.batch(ctx, "photo.put", steps, owner, true, true)
	for i, p := range ps {
		k := putAt[i]
		if k < 0 {
			continue
		}
		put, get := res[k], res[k+1]
		if !put.ok() {
			c.c.log.Warn("outlook: the contact's photo could not be written; the hub keeps it", "account", c.c.account,
				"remote_id", p.got.ID, "err", put.apiError())
			if steps[k].method == http.MethodPut {
				p.photo = nil
			}
		}
		if get.ok() {
			var ct Contact
			if json.Unmarshal(get.body, &ct) == nil && etagOf(&ct) != "" {
				p.got.ETag, p.got.ChangeKey = etagOf(&ct), ""
				continue
			}
		}
		// The change key after the photo is unknown: an empty etag makes
		// the next run read the contact and compare it.
		p.got.ETag, p.got.ChangeKey = "", ""
	}
}

// written is the item a write leaves: the card Outlook made of what was
// sent (what it answered, with the photo sent), so that a later listing
// matches it by construction.
func (c *Connector) written(p *pending) connectors.Item {
	it := c.item(p.got, p.photo)
	if it.Key == "" && p.w.Op == connectors.OpCreate {
		it.Key = p.w.Key
	}
	c.rememberPhoto(p.got.ID, p.photo)
	return it
}

// rememberPhoto records which photo a contact has.
func (c *Connector) rememberPhoto(id string, photo []byte) {
	c.mu.Lock()
	c.photos[id] = photoHash(photo)
	c.mu.Unlock()
}

func (c *Connector) forgetPhoto(id string) {
	c.mu.Lock()
	delete(c.photos, id)
	c.mu.Unlock()
}

// photoOf returns the hash of the photo contact id has, when known.
func (c *Connector) photoOf(id string) ([32]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.photos[id]
	return h, ok
}

// photoHash identifies a photo; a contact without one has the zero hash.
func photoHash(photo []byte) [32]byte {
	if len(photo) == 0 {
		return [32]byte{}
	}
	return sha256.Sum256(photo)
}
