package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// exportBatch is how many hub contacts an export compares and writes at a
// time; memory stays bounded by it, whatever the size of the hub.
const exportBatch = 200

// An ExportReport says what one export did.
type ExportReport struct {
	// Created, Updated and Unchanged count the hub's live contacts by what
	// the export did with each on the remote.
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// NotInHub counts items an earlier export made whose contact is no
	// longer in the hub; an export leaves them alone.
	NotInHub int `json:"not_in_hub"`
	// Failed lists the contacts that could not be written, by record id.
	Failed []Failure `json:"failed,omitempty"`
}

// Export writes every live contact of the hub to conn once, one way: a
// contact an earlier export wrote (the remote remembers it by its key, the
// hub record id) is updated when it differs and left alone when not, any
// other contact is created. Nothing on the remote is deleted, and nothing is
// read into the hub: for a lasting two-way link, configure an account. A
// contact that cannot be written is reported and the others go on.
// progress, when set, is told how far the export is.
func Export(ctx context.Context, hub *Hub, conn connectors.Connector, progress func(phase string, done, total int)) (*ExportReport, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	caps := conn.Capabilities()
	// What earlier exports (or runs of an account on the same remote) made,
	// by the hub record id each was made for.
	ours := map[string]connectors.Item{}
	listed := 0
	_, err := conn.Changes(ctx, "", func(p connectors.Page) error {
		for _, ch := range p.Changes {
			listed++
			if ch.Deleted || ch.Key == "" {
				continue
			}
			ours[ch.Key] = ch.Item
		}
		progress("list", listed, 0)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: list the remote: %w", err)
	}

	x := &exporter{conn: conn, caps: caps, ours: ours, rep: &ExportReport{}, seen: map[string]bool{}}
	var batch []HubRecord
	done := 0
	_, err = hub.Read(ctx, 0, func(rec HubRecord, err error) error {
		if err != nil {
			x.rep.Failed = append(x.rep.Failed, Failure{Record: rec.ID, Reason: err.Error()})
			return nil
		}
		if rec.Deleted {
			return nil
		}
		batch = append(batch, rec)
		if len(batch) < exportBatch {
			return nil
		}
		x.batch(ctx, batch)
		done += len(batch)
		progress("export", done, 0)
		batch = batch[:0]
		return ctx.Err()
	})
	if err == nil && len(batch) > 0 {
		x.batch(ctx, batch)
		done += len(batch)
		progress("export", done, 0)
	}
	if err != nil {
		return x.rep, fmt.Errorf("export: read the hub: %w", err)
	}
	if f, ok := conn.(connectors.Flusher); ok {
		if err := f.Flush(ctx); err != nil {
			return x.rep, fmt.Errorf("export: %w", err)
		}
	}
	for key := range ours {
		if !x.seen[key] {
			x.rep.NotInHub++
		}
	}
	return x.rep, nil
}

// An exporter is the state of one Export.
type exporter struct {
	conn connectors.Connector
	caps connectors.Capabilities
	ours map[string]connectors.Item
	seen map[string]bool

	mu  sync.Mutex // guards rep during the writes
	rep *ExportReport
}

// exportWrite is one contact of a batch and what to do with it.
type exportWrite struct {
	id    string
	card  *mapping.Card // projected to what the remote stores
	have  connectors.Item
	known bool // the remote has an item made for this contact
}

// batch compares a batch of hub contacts with the remote and writes the
// ones that differ.
func (x *exporter) batch(ctx context.Context, recs []HubRecord) {
	writes := make([]*exportWrite, 0, len(recs))
	var fetch []string
	for _, rec := range recs {
		x.seen[rec.ID] = true
		c, err := mapping.Parse([]byte(rec.VCard))
		if err != nil {
			x.rep.Failed = append(x.rep.Failed, Failure{Record: rec.ID, Reason: fmt.Sprintf("hub record does not parse: %v", err)})
			continue
		}
		w := &exportWrite{id: rec.ID, card: x.caps.Project(c)}
		w.have, w.known = x.ours[rec.ID]
		if w.known && w.have.Card == nil && w.have.Err == nil {
			fetch = append(fetch, w.have.ID)
		}
		writes = append(writes, w)
	}
	if len(fetch) > 0 {
		got := map[string]connectors.Item{}
		err := x.conn.Fetch(ctx, fetch, func(it connectors.Item) error {
			got[it.ID] = it
			return nil
		})
		if err != nil {
			for _, w := range writes {
				x.rep.Failed = append(x.rep.Failed, Failure{Record: w.id, Reason: fmt.Sprintf("read the remote: %v", err), Transient: true})
			}
			return
		}
		for _, w := range writes {
			if it, ok := got[w.have.ID]; ok && w.known {
				w.have = it
			}
		}
	}

	sem := make(chan struct{}, max(x.caps.Concurrency, 1))
	var wg sync.WaitGroup
	for _, w := range writes {
		if w.known && errors.Is(w.have.Err, connectors.ErrNotFound) {
			w.known = false // deleted since the listing: make it again
		}
		if w.known && w.have.Card != nil && hashString(x.caps.Project(w.have.Card)) == hashString(w.card) {
			x.rep.Unchanged++
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			x.write(ctx, w)
		})
	}
	wg.Wait()
}

// write creates or updates one contact on the remote and counts it.
func (x *exporter) write(ctx context.Context, w *exportWrite) {
	var err error
	op := "create"
	if w.known {
		op = "update"
		if w.have.Card != nil {
			w.card.Version = w.have.Card.Version
		} else {
			w.card.Version = ""
		}
		_, err = x.conn.Update(ctx, w.have.ID, w.have.ETag, w.card)
	} else {
		w.card.Version = ""
		_, err = x.conn.Create(ctx, w.id, w.card)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	switch {
	case err != nil:
		x.rep.Failed = append(x.rep.Failed, Failure{Record: w.id, Remote: w.have.ID, Reason: fmt.Sprintf("%s: %v", op, err), Transient: isTransient(err)})
	case w.known:
		x.rep.Updated++
	default:
		x.rep.Created++
	}
}
