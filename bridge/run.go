package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

// chunkSize is how many contacts a run writes between two commits of its
// state: a run killed at any point redoes at most this much, and only as
// no-ops or idempotent writes. Each chunk ends with making the account's
// writes durable (one syncfs for a folder) and a state commit; 1,000 keeps
// those to 10 for a 10,000-contact first sync (200 cost 20 % more time).
const chunkSize = 1000

// run is the work of one Sync.
type run struct {
	e    *Engine
	acct Account
	opts Options
	rep  *Report
	log  *slog.Logger
	s    *state
	caps connectors.Capabilities

	// gathered
	hubChanged   map[string]*hubContact     // hub record id → changed hub record
	remoteItems  map[string]connectors.Item // remote id → changed item (with card)
	remoteGone   map[string]bool            // remote ids deleted
	unreadable   map[string]bool            // remote ids that exist but could not be read
	nextToken    string
	listed       int // changes the listing passed, unchanged ones included
	full         bool
	allHubLoaded bool
	hubAll       map[string]*hubContact // every live hub record, when loaded

	// hub writes wait here until their chunk is written
	hubLatest store.Timestamp // hub time after this run's own writes
	minFailed store.Timestamp // hub time of the oldest hub change that failed
	// unsure holds the creates of this run whose outcome is unknown (a
	// transient failure: a timeout may come after the create was made),
	// by hub record id, with the time sent: they become pending.
	unsure map[string]int64
}

// hubContact is a decrypted hub record with its card parsed.
type hubContact struct {
	HubRecord
	card *mapping.Card // nil for a tombstone
}

func (r *run) progress(phase string, done, total int) {
	if r.opts.Progress != nil {
		r.opts.Progress(phase, done, total)
	}
}

func (r *run) fail(f Failure) {
	r.rep.Failed = append(r.rep.Failed, f)
	r.log.Warn("item failed", "record", f.Record, "remote_id", f.Remote, "reason", f.Reason, "transient", f.Transient)
}

func (r *run) sync(ctx context.Context) error {
	if !r.opts.DryRun {
		if err := r.recover(ctx); err != nil {
			return err
		}
	}
	if err := r.readHub(ctx); err != nil {
		return err
	}
	if err := r.readRemote(ctx); err != nil {
		return err
	}
	var plan []*action
	if !r.quiet() {
		if err := r.s.loadLinks(ctx); err != nil {
			return err
		}
		var err error
		if plan, err = r.plan(ctx); err != nil {
			return err
		}
		if err := r.brake(plan); err != nil {
			return err
		}
	}
	if r.opts.DryRun {
		r.count(plan)
		return nil
	}
	return r.execute(ctx, plan)
}

// quiet reports whether neither side changed since the last run: then
// there is nothing to plan, and the links need not even be read.
func (r *run) quiet() bool {
	return r.s.meta.Synced && !r.full && len(r.hubChanged) == 0 && len(r.remoteItems) == 0 &&
		len(r.remoteGone) == 0 && len(r.unreadable) == 0 && len(r.s.dirty) == 0
}

// readHub reads every hub change since the account's last run.
func (r *run) readHub(ctx context.Context) error {
	r.hubChanged = map[string]*hubContact{}
	since := r.s.meta.HubSince
	if !r.s.meta.Synced {
		since = 0
	}
	last, err := r.e.hub.Read(ctx, since, func(rec HubRecord, err error) error {
		if err != nil {
			r.fail(Failure{Record: rec.ID, Reason: err.Error()})
			return nil
		}
		hc, err := parseHub(rec)
		if err != nil {
			r.fail(Failure{Record: rec.ID, Reason: err.Error()})
			return nil
		}
		r.hubChanged[rec.ID] = hc
		return nil
	})
	if err != nil {
		return err
	}
	r.hubLatest = last
	if !r.s.meta.Synced {
		r.hubAll, r.allHubLoaded = map[string]*hubContact{}, true
		for id, hc := range r.hubChanged {
			if hc.card != nil {
				r.hubAll[id] = hc
			}
		}
	}
	return nil
}

func parseHub(rec HubRecord) (*hubContact, error) {
	hc := &hubContact{HubRecord: rec}
	if rec.Deleted {
		return hc, nil
	}
	c, err := mapping.Parse([]byte(rec.VCard))
	if err != nil {
		return nil, fmt.Errorf("hub record %s does not parse: %w", rec.ID, err)
	}
	hc.card = c
	return hc, nil
}

// readRemote reads the account's changes since its token, falling back to a
// full listing when the token expired, and fetches the cards it needs.
func (r *run) readRemote(ctx context.Context) error {
	conn := r.acct.Connector
	var seen map[string]bool
	var toFetch []string
	reset := func() {
		seen, toFetch = map[string]bool{}, nil
		r.remoteItems, r.remoteGone, r.unreadable = map[string]connectors.Item{}, map[string]bool{}, map[string]bool{}
		r.full = false
	}
	listed := 0
	page := func(p connectors.Page) error {
		if err := r.s.loadLinks(ctx); err != nil {
			return err
		}
		if p.Full {
			r.full = true
		}
		for _, ch := range p.Changes {
			listed++
			if p.Full {
				seen[ch.ID] = true
			}
			if ch.Deleted {
				r.remoteGone[ch.ID] = true
				delete(r.remoteItems, ch.ID)
				continue
			}
			delete(r.remoteGone, ch.ID)
			for _, prev := range ch.PreviousIDs {
				if rid, ok := r.s.byRemote[prev]; ok && prev != ch.ID {
					l := r.s.links[rid]
					r.log.Info("remote item renamed", "op", "list", "record", rid, "remote_id", ch.ID, "previous", prev)
					l.Remote = ch.ID
					r.s.setLink(rid, l)
					delete(r.remoteGone, prev)
				}
			}
			if rid, ok := r.s.byRemote[ch.ID]; ok && ch.ETag != "" && r.s.links[rid].ETag == ch.ETag {
				continue // unchanged since the last run
			}
			switch {
			case ch.Err != nil:
				r.unreadable[ch.ID] = true
				r.fail(Failure{Remote: ch.ID, Record: r.s.byRemote[ch.ID], Reason: ch.Err.Error()})
			case ch.Card == nil:
				toFetch = append(toFetch, ch.ID)
			default:
				r.remoteItems[ch.ID] = ch.Item
			}
		}
		r.progress("list", listed, 0)
		return nil
	}
	token := r.s.meta.Token
	if !r.s.meta.Synced {
		token = ""
	}
	reset()
	next, err := conn.Changes(ctx, token, page)
	if errors.Is(err, connectors.ErrTokenExpired) && token != "" {
		r.log.Info("change token expired; listing everything", "op", "list")
		reset()
		next, err = conn.Changes(ctx, "", page)
	}
	if err != nil {
		return fmt.Errorf("list changes: %w", err)
	}
	r.nextToken, r.listed = next, listed
	r.rep.FullListing = r.full
	if r.full {
		if err := r.s.loadLinks(ctx); err != nil {
			return err
		}
		// A known item the listing did not name is gone only if reading
		// it says so: a remote whose listings lag behind its writes
		// (Google's take minutes) must not make a fresh item look deleted.
		// (toFetch holds only listed items: no id goes in twice.)
		for remote := range r.s.byRemote {
			if !seen[remote] {
				toFetch = append(toFetch, remote)
			}
		}
	}
	if toFetch, err = r.findPending(ctx, toFetch); err != nil {
		return err
	}
	if len(toFetch) > 0 {
		done := 0
		err := conn.Fetch(ctx, toFetch, func(it connectors.Item) error {
			done++
			r.progress("fetch", done, len(toFetch))
			switch {
			case errors.Is(it.Err, connectors.ErrNotFound):
				r.remoteGone[it.ID] = true
			case it.Err != nil:
				r.unreadable[it.ID] = true
				r.fail(Failure{Remote: it.ID, Record: r.s.byRemote[it.ID], Reason: it.Err.Error()})
			case it.Card != nil:
				r.remoteItems[it.ID] = it
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fetch %d items: %w", len(toFetch), err)
		}
	}
	// A remote item that exists but could not be read is never a deletion.
	for id := range r.unreadable {
		delete(r.remoteGone, id)
	}
	return nil
}

// findPending asks a connectors.KeyFinder for the pending creates (whose
// outcome an earlier run did not learn) that are still unlinked: those it
// finds are listed as changed items carrying their key, so that plan links
// them rather than creating them again. It returns toFetch without them.
func (r *run) findPending(ctx context.Context, toFetch []string) ([]string, error) {
	kf, ok := r.acct.Connector.(connectors.KeyFinder)
	if !ok || len(r.s.meta.Pending) == 0 {
		return toFetch, nil
	}
	if err := r.s.loadLinks(ctx); err != nil {
		return nil, err
	}
	var keys []string
	for id := range r.s.meta.Pending {
		if _, linked := r.s.links[id]; !linked {
			keys = append(keys, id)
		}
	}
	if len(keys) == 0 {
		return toFetch, nil
	}
	slices.Sort(keys)
	items, err := kf.FindKeys(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up %d creates of an interrupted run: %w", len(keys), err)
	}
	found := map[string]bool{}
	for _, it := range items {
		if it.Card == nil || it.Key == "" {
			continue
		}
		found[it.ID] = true
		r.remoteItems[it.ID] = it
		delete(r.remoteGone, it.ID)
	}
	r.log.Info("looked up the creates of an interrupted run", "op", "list", "creates", len(keys), "found", len(found))
	return slices.DeleteFunc(toFetch, func(id string) bool { return found[id] }), nil
}

// loadAllHub reads every live hub record, for matching new remote items
// against contacts this account has not seen.
func (r *run) loadAllHub(ctx context.Context) error {
	if r.allHubLoaded {
		return nil
	}
	r.hubAll = map[string]*hubContact{}
	_, err := r.e.hub.Read(ctx, 0, func(rec HubRecord, err error) error {
		if err != nil || rec.Deleted {
			return nil
		}
		if hc, ok := r.hubChanged[rec.ID]; ok {
			if hc.card != nil {
				r.hubAll[rec.ID] = hc
			}
			return nil
		}
		if hc, err := parseHub(rec); err == nil {
			r.hubAll[rec.ID] = hc
		}
		return nil
	})
	r.allHubLoaded = err == nil
	return err
}

// hubCards reads the current hub records of ids that the run has not read
// (because they did not change).
func (r *run) hubCards(ctx context.Context, ids []string) (map[string]*hubContact, error) {
	out := map[string]*hubContact{}
	for chunk := range slices.Chunk(ids, store.MaxIDs) {
		page, err := r.e.hub.st.List(ctx, r.e.hub.user, mapping.ContactsCollection, store.Query{IDs: chunk})
		if err != nil {
			return nil, fmt.Errorf("read hub records: %w", err)
		}
		for _, b := range page.Records {
			rec, err := r.e.hub.open(b.ID, b.Payload)
			if err != nil {
				r.fail(Failure{Record: b.ID, Reason: err.Error()})
				continue
			}
			hc, err := parseHub(HubRecord{Record: rec, Modified: b.Modified})
			if err != nil {
				r.fail(Failure{Record: b.ID, Reason: err.Error()})
				continue
			}
			out[b.ID] = hc
		}
	}
	return out, nil
}
