package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

// TrashCollection keeps the last content of deleted contacts, encrypted, for
// the retention period (the records' TTL), so that a deletion can be undone.
const TrashCollection = "trash"

// A Deleted is a contact in the trash.
type Deleted struct {
	ID      string
	Card    *mapping.Card
	Deleted store.Timestamp
}

func (h *Hub) writeTrash(ctx context.Context, recs []mapping.Record, ttl int64) error {
	kb := h.keys.For(TrashCollection)
	var ws []store.Write
	for _, r := range recs {
		p, err := mapping.SealRecord(kb, r)
		if err != nil {
			return fmt.Errorf("hub: trash: %w", err)
		}
		ws = append(ws, store.Write{ID: r.ID, Payload: &p, TTL: &ttl})
	}
	for len(ws) > 0 {
		n := min(len(ws), max(h.st.Limits().MaxPostRecords, 1))
		if _, err := h.st.Post(ctx, h.user, TrashCollection, ws[:n], store.Precondition{}); err != nil {
			return fmt.Errorf("hub: trash: %w", err)
		}
		ws = ws[n:]
	}
	return nil
}

// Trash lists the deleted contacts that can still be restored, newest
// deletion first.
func (h *Hub) Trash(ctx context.Context) ([]Deleted, error) {
	var out []Deleted
	q := store.Query{Sort: store.SortNewest, Limit: readPage}
	for {
		page, err := h.st.List(ctx, h.user, TrashCollection, q)
		if err != nil {
			return nil, fmt.Errorf("hub: trash: %w", err)
		}
		for _, b := range page.Records {
			r, err := mapping.OpenRecord(h.keys.For(TrashCollection), b.ID, b.Payload)
			if err != nil {
				return nil, fmt.Errorf("hub: trash: %w", err)
			}
			c, err := mapping.Parse([]byte(r.VCard))
			if err != nil {
				return nil, fmt.Errorf("hub: trash: record %s: %w", b.ID, err)
			}
			out = append(out, Deleted{ID: b.ID, Card: c, Deleted: b.Modified})
		}
		if page.NextOffset == "" {
			return out, nil
		}
		q.Offset = page.NextOffset
	}
}

// ErrNotInTrash means a contact cannot be restored: it was never deleted,
// was restored already, or its retention period is over.
var ErrNotInTrash = errors.New("not in the trash (never deleted, already restored, or past the retention period)")

// Restore undoes the deletion of contact id: its last content goes back into
// the hub, and the next sync of every account re-creates it there.
func (h *Hub) Restore(ctx context.Context, id string) error {
	b, err := h.st.Get(ctx, h.user, TrashCollection, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("hub: restore %s: %w", id, ErrNotInTrash)
	}
	if err != nil {
		return fmt.Errorf("hub: restore %s: %w", id, err)
	}
	r, err := mapping.OpenRecord(h.keys.For(TrashCollection), id, b.Payload)
	if err != nil {
		return fmt.Errorf("hub: restore: %w", err)
	}
	if cur, err := h.Get(ctx, id); err == nil && !cur.Deleted {
		return fmt.Errorf("hub: restore %s: the contact exists again (edited somewhere since)", id)
	}
	if _, err := h.Write(ctx, []mapping.Record{r}, store.Precondition{}); err != nil {
		return fmt.Errorf("hub: restore %s: %w", id, err)
	}
	if _, err := h.st.Delete(ctx, h.user, TrashCollection, id, store.Precondition{}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("hub: restore %s: %w", id, err)
	}
	return nil
}
