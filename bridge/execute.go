package bridge

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

// execute carries out the plan in chunks: the remote writes of a chunk, then
// its hub writes, then its links and bases. A run killed between any two
// writes is finished by the next run: remote creates are keyed by the hub
// record id, hub writes and links compare by canonical hash, so what was
// done is recognised and not done again.
func (r *run) execute(ctx context.Context, plan []*action) error {
	keepToken := false
	writes := 0
	for _, a := range plan {
		if !a.linkOnly {
			writes++
		}
	}
	done := 0
	for chunk := range slices.Chunk(plan, chunkSize) {
		if err := r.s.writeJournal(ctx, r.journalOf(chunk), r.createsOf(chunk)); err != nil {
			return err
		}
		ok := r.remoteWrites(ctx, chunk)
		if f, can := r.acct.Connector.(connectors.Flusher); can {
			// The links about to be committed rely on these writes.
			if err := f.Flush(ctx); err != nil {
				return fmt.Errorf("make the account's writes durable: %w", err)
			}
		}
		// Links of remote-only writes are committed at once: the sooner a
		// remote create is linked, the smaller the window in which a kill
		// could leave it unknown.
		for i, a := range chunk {
			if ok[i] && a.hop == hubNone {
				r.countAction(a)
				r.apply(a)
			}
		}
		if err := r.s.commit(ctx, nil); err != nil {
			return err
		}
		var recs []mapping.Record
		var trash []mapping.Record
		for i, a := range chunk {
			if !ok[i] {
				continue
			}
			switch a.hop {
			case hubPut:
				b, err := a.hubCard.Marshal(mapping.Version40)
				if err != nil {
					ok[i] = false
					r.fail(Failure{Record: a.record, Remote: a.remote, Reason: fmt.Sprintf("encode for the hub: %v", err)})
					continue
				}
				recs = append(recs, mapping.Record{ID: a.record, VCard: string(b)})
			case hubDelete:
				recs = append(recs, mapping.Record{ID: a.record, Deleted: true})
				if b, err := a.hubCard.Marshal(mapping.Version40); err == nil {
					trash = append(trash, mapping.Record{ID: a.record, VCard: string(b)})
				}
			}
		}
		if len(trash) > 0 {
			if err := r.e.hub.writeTrash(ctx, trash, r.retention()); err != nil {
				return err
			}
		}
		if len(recs) > 0 {
			// Conditional on the hub as this run last saw it: the run's
			// decisions hold only if nobody wrote in between.
			ts, err := r.e.hub.Write(ctx, recs, store.Since(r.hubLatest))
			if errors.Is(err, store.ErrPreconditionFailed) {
				return fmt.Errorf("the hub changed while this run wrote to it (another sync at the same time?); run again: %w", err)
			}
			if err != nil {
				return err
			}
			r.hubLatest = ts
		}
		for i, a := range chunk {
			if !ok[i] {
				if a.hubChangedAt > 0 {
					r.noteFailedHub(a.hubChangedAt)
				}
				keepToken = keepToken || a.remoteChange
				continue
			}
			if a.hop != hubNone { // the others were applied above
				r.countAction(a)
				r.apply(a)
			}
			r.log.Debug("applied", "record", a.record, "remote_id", a.remote, "op", a.describe())
			if len(a.conflicts) > 0 {
				if err := r.e.logConflicts(ctx, r.acct.Name, a.record, a.conflicts); err != nil {
					return err
				}
			}
		}
		if err := r.s.commit(ctx, nil); err != nil {
			return err
		}
		for _, a := range chunk {
			if !a.linkOnly {
				done++
			}
		}
		r.progress("write", done, writes)
	}
	m := r.s.meta
	if r.acct.Owner != "" {
		m.Owner = r.acct.Owner
	}
	m.Synced = true
	m.Pending = r.stillPending()
	if !keepToken && m.Token != r.nextToken {
		m.Token, m.TokenAt = r.nextToken, r.e.now().Unix()
	}
	if res, ok := r.acct.Connector.(connectors.Resumer); ok {
		m.Session = res.Session()
	}
	// Every hub write of the run was conditional on the one before, so
	// nothing but this run's own writes lies between the hub time it read
	// up to and hubLatest.
	m.HubSince = r.hubLatest
	if r.minFailed > 0 {
		m.HubSince = min(m.HubSince, r.minFailed-10)
	}
	if len(plan) == 0 && (m.equal(r.s.meta) || r.listed == 0 && r.onlyTokenRenewed(m)) {
		return nil // converged: not a single write
	}
	if err := r.s.commit(ctx, &m); err != nil {
		return err
	}
	return r.s.writeJournal(ctx, nil, nil)
}

// tokenKeep is how long a run that found nothing changed keeps the stored
// change token rather than storing the remote's new one. Both cover the
// same changes; some remotes (Google) hand out a new token on every
// listing, and storing each would make every quiet run write its state.
// Renewing it daily keeps it far from expiring (Google: 7 days).
const tokenKeep = 24 * time.Hour

// onlyTokenRenewed reports whether m differs from the stored meta only by a
// token younger than tokenKeep would replace.
func (r *run) onlyTokenRenewed(m meta) bool {
	old := r.s.meta
	if r.e.now().Sub(time.Unix(old.TokenAt, 0)) >= tokenKeep {
		return false
	}
	m.Token, m.TokenAt = old.Token, old.TokenAt
	return m.equal(old)
}

// createsOf is the journal's list of the remote creates of a chunk.
func (r *run) createsOf(chunk []*action) map[string]int64 {
	var out map[string]int64
	now := r.e.now().Unix()
	for _, a := range chunk {
		if a.rop != remoteCreate {
			continue
		}
		if out == nil {
			out = map[string]int64{}
		}
		out[a.record] = now
	}
	return out
}

// stillPending is meta.Pending at the end of a run: the creates of an
// interrupted run that are neither linked nor past the account's listing
// delay (one past it was sent again by this run if it was still wanted),
// and this run's creates whose outcome it did not learn.
func (r *run) stillPending() map[string]int64 {
	var out map[string]int64
	for id, sent := range r.s.meta.Pending {
		if _, linked := r.s.links[id]; linked || !r.waiting(sent) {
			continue
		}
		if out == nil {
			out = map[string]int64{}
		}
		out[id] = sent
	}
	for id, sent := range r.unsure {
		if _, linked := r.s.links[id]; linked {
			continue
		}
		if out == nil {
			out = map[string]int64{}
		}
		out[id] = sent
	}
	return out
}

// waiting reports whether a create sent at sent (Unix time) may still be
// missing from the account's listings although it happened.
func (r *run) waiting(sent int64) bool {
	return r.e.now().Before(time.Unix(sent, 0).Add(r.caps.ListingDelay))
}

// journalOf is the journal of a chunk: the link each hub write leaves.
func (r *run) journalOf(chunk []*action) map[string]journalEntry {
	out := map[string]journalEntry{}
	for _, a := range chunk {
		if a.hop != hubPut || a.remote == "" || a.base == nil {
			continue
		}
		l := link{Remote: a.remote, HubHash: hashString(a.base), RemoteHash: a.remoteHash}
		switch a.rop {
		case remoteNone:
			l.ETag = a.remoteETag
		default:
			// The etag after the remote write is unknown yet: an empty one
			// makes the next run fetch the item and compare by hash.
			l.RemoteHash = hashString(a.remoteCard)
		}
		_, linked := r.s.links[a.record]
		out[a.record] = journalEntry{Link: l, New: a.hubNew && !linked}
	}
	return out
}

// recover installs the journalled links of a run that was killed after its
// hub writes, where the hub shows the write happened, and keeps its remote
// creates whose outcome it never learnt as pending.
func (r *run) recover(ctx context.Context) error {
	if len(r.s.journal) == 0 && len(r.s.creates) == 0 {
		return nil
	}
	if err := r.s.loadLinks(ctx); err != nil {
		return err
	}
	m := r.s.meta
	m.Pending = maps.Clone(m.Pending)
	for id, sent := range r.s.creates {
		if _, linked := r.s.links[id]; !linked {
			if m.Pending == nil {
				m.Pending = map[string]int64{}
			}
			m.Pending[id] = sent
		}
	}
	ids := make([]string, 0, len(r.s.journal))
	for id := range r.s.journal {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	cur, err := r.hubCards(ctx, ids)
	if err != nil {
		return err
	}
	installed := 0
	for _, id := range ids {
		entry := r.s.journal[id]
		want, hc := entry.Link, cur[id]
		l, linked := r.s.links[id]
		switch {
		case linked && l.Remote == want.Remote && l.HubHash == want.HubHash:
			continue // committed after all
		case entry.New && hc != nil && !linked:
			// A record only this run could have made exists: link it, and
			// let the next run compare it with what it has become.
		case hc == nil || hc.card == nil || hashString(hc.card) != want.HubHash:
			continue // the hub write did not happen, or was overtaken
		default:
			r.s.setBase(id, hc.card)
		}
		r.s.setLink(id, want)
		installed++
	}
	if installed > 0 {
		r.log.Info("recovered links of an interrupted run", "op", "recover", "links", installed)
	}
	if n := len(m.Pending) - len(r.s.meta.Pending); n > 0 {
		r.log.Info("an interrupted run sent creates whose outcome it did not learn; they are not sent again until the account could list them",
			"op", "recover", "creates", n, "listing_delay", r.caps.ListingDelay)
	}
	if err := r.s.commit(ctx, &m); err != nil {
		return err
	}
	return r.s.writeJournal(ctx, nil, nil)
}

func (r *run) retention() int64 {
	if r.opts.Retention > 0 {
		return int64(r.opts.Retention.Seconds())
	}
	return 30 * 24 * 3600
}

// noteFailedHub makes the next run read a hub change again whose action
// failed.
func (r *run) noteFailedHub(ts store.Timestamp) {
	if r.minFailed == 0 || ts < r.minFailed {
		r.minFailed = ts
	}
}

// apply records the link and base an action leaves.
func (r *run) apply(a *action) {
	if a.dropLink {
		r.s.dropLink(a.record)
		return
	}
	l := r.s.links[a.record]
	l.Remote = a.remote
	if a.remoteETag != "" {
		l.ETag = a.remoteETag
	}
	if a.remoteHash != "" {
		l.RemoteHash = a.remoteHash
	}
	if a.remoteVersion != "" {
		l.Version = a.remoteVersion
	}
	if a.base != nil {
		l.HubHash = hashString(a.base)
		r.s.setBase(a.record, a.base)
	}
	r.s.setLink(a.record, l)
}

// remoteWrites does the remote writes of chunk, up to the connector's
// concurrency at once, and reports which actions may go on.
func (r *run) remoteWrites(ctx context.Context, chunk []*action) []bool {
	if bw, can := r.acct.Connector.(connectors.BatchWriter); can {
		return r.batchWrites(ctx, bw, chunk)
	}
	ok := make([]bool, len(chunk))
	workers := max(r.caps.Concurrency, 1)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, a := range chunk {
		if a.rop == remoteNone {
			ok[i] = true
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := r.remoteWrite(ctx, a)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.writeFailed(a, err)
				return
			}
			ok[i] = true
		})
	}
	wg.Wait()
	return ok
}

// writeFailed reports a remote write that failed. A create that failed
// transiently may have happened all the same (a timeout after the server
// made it): it becomes pending, like the creates of an interrupted run.
func (r *run) writeFailed(a *action, err error) {
	transient := isTransient(err)
	r.fail(Failure{Record: a.record, Remote: a.remote, Reason: err.Error(), Transient: transient})
	if a.rop == remoteCreate && transient {
		if r.unsure == nil {
			r.unsure = map[string]int64{}
		}
		r.unsure[a.record] = r.e.now().Unix()
	}
}

func isTransient(err error) bool {
	return connectors.IsTransient(err) || errors.Is(err, connectors.ErrPreconditionFailed) ||
		errors.Is(err, context.DeadlineExceeded)
}

// batchWrites is remoteWrites for a BatchWriter: the chunk's creates,
// updates and deletes, each in groups of at most BatchSize, one request at
// a time (remotes that batch want a user's writes in sequence).
func (r *run) batchWrites(ctx context.Context, bw connectors.BatchWriter, chunk []*action) []bool {
	ok := make([]bool, len(chunk))
	size := max(r.caps.BatchSize, 1)
	for _, op := range []remoteOp{remoteCreate, remoteUpdate, remoteDelete} {
		var idx []int
		for i, a := range chunk {
			if a.rop == remoteNone {
				ok[i] = true
			} else if a.rop == op {
				idx = append(idx, i)
			}
		}
		groups := 0
		for group := range slices.Chunk(idx, size) {
			// The chunk's journal holds the first group's send time.
			if groups++; op == remoteCreate && groups > 1 {
				if err := r.s.touchCreates(ctx, r.recordsOf(chunk, group), r.e.now().Unix()); err != nil {
					for _, i := range group {
						r.fail(Failure{Record: chunk[i].record, Reason: err.Error(), Transient: true})
					}
					continue
				}
			}
			ws := make([]connectors.Write, len(group))
			for k, i := range group {
				a := chunk[i]
				switch op {
				case remoteCreate:
					ws[k] = connectors.Write{Op: connectors.OpCreate, Key: a.record, Card: a.remoteCard}
				case remoteUpdate:
					ws[k] = connectors.Write{Op: connectors.OpUpdate, ID: a.remote, ETag: a.etag, Card: a.remoteCard}
				case remoteDelete:
					ws[k] = connectors.Write{Op: connectors.OpDelete, ID: a.remote, ETag: a.etag}
				}
			}
			res := bw.WriteBatch(ctx, ws)
			for k, i := range group {
				a := chunk[i]
				var wr connectors.WriteResult
				if k < len(res) {
					wr = res[k]
				} else {
					wr.Err = connectors.Transient(errors.New("the batch returned no result for this write"))
				}
				if err := r.afterWrite(a, wr.Item, wr.Err); err != nil {
					r.writeFailed(a, err)
					continue
				}
				ok[i] = true
			}
		}
	}
	return ok
}

// recordsOf returns the hub record ids of the actions idx of chunk.
func (r *run) recordsOf(chunk []*action, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = chunk[i].record
	}
	return out
}

func (r *run) remoteWrite(ctx context.Context, a *action) error {
	conn := r.acct.Connector
	var it connectors.Item
	var err error
	switch a.rop {
	case remoteCreate:
		it, err = conn.Create(ctx, a.record, a.remoteCard)
	case remoteUpdate:
		it, err = conn.Update(ctx, a.remote, a.etag, a.remoteCard)
	case remoteDelete:
		err = conn.Delete(ctx, a.remote, a.etag)
	}
	return r.afterWrite(a, it, err)
}

// afterWrite takes the outcome of a's remote write: it records the item
// written, or turns the error into the reason the run reports.
func (r *run) afterWrite(a *action, it connectors.Item, err error) error {
	switch a.rop {
	case remoteCreate:
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		r.written(a, it)
	case remoteUpdate:
		switch {
		case errors.Is(err, connectors.ErrPreconditionFailed):
			return fmt.Errorf("update: changed on the remote during the sync; the next run merges it: %w", err)
		case errors.Is(err, connectors.ErrNotFound):
			return connectors.Transient(fmt.Errorf("update: deleted on the remote during the sync; the next run sees it: %w", err))
		case err != nil:
			return fmt.Errorf("update: %w", err)
		}
		r.written(a, it)
	case remoteDelete:
		switch {
		case errors.Is(err, connectors.ErrNotFound):
			// Already gone: what we wanted.
		case errors.Is(err, connectors.ErrPreconditionFailed):
			return fmt.Errorf("delete: changed on the remote during the sync; the next run decides again: %w", err)
		case err != nil:
			return fmt.Errorf("delete: %w", err)
		}
	}
	return nil
}

// written takes the remote item a write returned into the action's link.
func (r *run) written(a *action, it connectors.Item) {
	a.remote, a.remoteETag = it.ID, it.ETag
	if it.Card != nil {
		a.remoteHash, a.remoteVersion = r.remoteHash(it.Card), it.Card.Version
	} else {
		a.remoteHash, a.remoteVersion = r.remoteHash(a.remoteCard), a.remoteCard.Version
	}
}

// describe names what an action did, for logs: "remote:update hub:put".
func (a *action) describe() string {
	ops := ""
	switch a.rop {
	case remoteCreate:
		ops = "remote:create "
	case remoteUpdate:
		ops = "remote:update "
	case remoteDelete:
		ops = "remote:delete "
	}
	switch a.hop {
	case hubPut:
		ops += "hub:put "
	case hubDelete:
		ops += "hub:delete "
	}
	if a.dropLink {
		ops += "unlink"
	} else if ops == "" {
		ops = "link"
	}
	return strings.TrimSpace(ops)
}
