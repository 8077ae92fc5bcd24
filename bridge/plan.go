package bridge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

type remoteOp uint8

const (
	remoteNone remoteOp = iota
	remoteCreate
	remoteUpdate
	remoteDelete
)

type hubOp uint8

const (
	hubNone hubOp = iota
	hubPut
	hubDelete
)

// An action is what a run does for one contact: at most one remote write,
// at most one hub write, and the link and base that follow.
type action struct {
	record string // hub record id
	remote string // remote id ("" before a remote create)
	etag   string // remote etag the remote write is conditional on

	rop        remoteOp
	remoteCard *mapping.Card // what to write to the remote (projected)

	hop     hubOp
	hubCard *mapping.Card // hub content to write; for hubDelete the last content, kept for restore
	hubNew  bool          // the hub record is new (or restored)

	// after: the link and base once the writes succeed; dropLink removes them.
	remoteHash    string // hash of the remote card after the write (when known beforehand)
	remoteETag    string
	remoteVersion mapping.Version // vCard version of the remote item after the write, when known
	base          *mapping.Card
	dropLink      bool
	linkOnly      bool // no write at all, the link's etag or hashes change

	conflicts []mapping.Conflict
	// hubChangedAt is the hub time of the hub change this action carries,
	// so a failure can make the next run read it again.
	hubChangedAt store.Timestamp
	// remoteChange: this action carries a remote change, so a failure must
	// keep the remote token where it was.
	remoteChange bool
}

// pair collects what a run knows of one linked contact.
type pair struct {
	hub    *hubContact      // set when the hub record changed
	remote *connectors.Item // set when the remote item may have changed
	gone   bool             // the remote item was deleted
	cur    *hubContact      // the current hub record when it had to be read
}

func (r *run) remoteHash(c *mapping.Card) string { return hashString(r.caps.Project(c)) }

// complete returns the remote's card of a contact with what the remote
// could not keep of from (the hub's version) given back: from's own
// version of what the user did not change there (keepRicher), then what
// the remote cannot store or dropped (fill). from is projected and
// normalised once, for both.
func (r *run) complete(remote, from *mapping.Card) *mapping.Card {
	var proj, norm *mapping.Card
	if n, ok := r.acct.Connector.(connectors.Normalizer); ok && from != nil {
		proj = r.caps.Project(from)
		norm = n.Normalize(proj)
	}
	return r.fill(keepRicher(remote, proj, norm), from, norm)
}

// fill gives a remote card back what the remote cannot store, from the
// version of the contact it was projected from: a property the remote lacks
// is not a property the user deleted. norm is what a connectors.Normalizer
// makes of from projected (nil for other remotes).
func (r *run) fill(remote, from, norm *mapping.Card) *mapping.Card {
	if r.caps.Properties == nil || from == nil {
		return remote
	}
	out := remote.Clone()
	counts := map[string]int{}
	groups := map[string]bool{} // groups of the properties given back
	taken := map[string]bool{}  // groups the remote's card uses
	have := map[string]int{}    // what the remote's card holds already (restored by keepRicher, say), counted
	for _, p := range remote.Props {
		taken[strings.ToLower(p.Group)] = true
		have[mapping.PropertyKey(p)]++
	}
	back := make([]bool, len(from.Props))
	lost := droppedByRemote(from, norm)
	for i, p := range from.Props {
		limit, stored := r.caps.Properties[p.Name]
		counts[p.Name]++
		if k := mapping.PropertyKey(p); have[k] > 0 {
			have[k]--
			continue
		}
		if !stored || (limit > 0 && counts[p.Name] > limit) || p.Group == "" && lost != nil && lost[i] {
			out.Props = append(out.Props, p)
			back[i] = true
			if g := strings.ToLower(p.Group); g != "" {
				groups[g] = true
			}
		}
	}
	// A label (or other partner) of a property given back goes with it,
	// when the remote's card has nothing in that group: the remote may keep
	// X-ABLABEL but drops one whose partner it cannot store.
	for i, p := range from.Props {
		if g := strings.ToLower(p.Group); !back[i] && groups[g] && !taken[g] {
			out.Props = append(out.Props, p)
		}
	}
	return out
}

// droppedByRemote marks the properties of from that a remote which is a
// connectors.Normalizer (norm: what it makes of from projected) keeps
// nothing of, although it stores properties of
// their name: a fax number where Outlook has slots for voice numbers only,
// a second mobile number where it has one mobile slot, a relation other
// than spouse or child, the second of two equal ORG values. Such a value
// is no more the user's deletion than a property the remote cannot store
// at all.
//
// Values are counted, not just compared: each value the remote keeps
// accounts for one property of from, an identical one first, else one with
// the same value. Of a name's properties left unaccounted for, as many as
// the remote keeps fewer values of that name are dropped, the last ones
// (the remote fills its slots in order); the others it kept changed.
func droppedByRemote(from, norm *mapping.Card) []bool {
	if norm == nil {
		return nil
	}
	value := func(p mapping.Property) string {
		return p.Name + "\x00" + strings.ToLower(strings.TrimSpace(p.Value))
	}
	exact, values := map[string]int{}, map[string]int{}
	kept := map[string]int{}
	for _, p := range norm.Props {
		exact[mapping.PropertyKey(p)]++
		values[value(p)]++
		kept[p.Name]++
	}
	had := map[string]int{}
	matched := make([]bool, len(from.Props))
	for i, p := range from.Props {
		had[p.Name]++
		if k := mapping.PropertyKey(p); exact[k] > 0 {
			exact[k]--
			values[value(p)]--
			matched[i] = true
		}
	}
	for i, p := range from.Props {
		if v := value(p); !matched[i] && values[v] > 0 {
			values[v]--
			matched[i] = true
		}
	}
	out := make([]bool, len(from.Props))
	for i := len(from.Props) - 1; i >= 0; i-- {
		name := from.Props[i].Name
		if !matched[i] && kept[name] < had[name] {
			out[i] = true
			had[name]--
		}
	}
	return out
}

// keepRicher returns the remote's card with what the remote made of from
// (a hub card) replaced by from's own version wherever the user did not
// change it on the remote (mapping.Restore): a parameter or label the
// remote has no room for is not lost when the contact is edited there.
// Only for a connectors.Normalizer, which knows what it keeps: proj is
// from projected, norm what the Normalizer makes of it (nil otherwise).
func keepRicher(remote, proj, norm *mapping.Card) *mapping.Card {
	if norm == nil {
		return remote
	}
	return mapping.Restore(remote, norm, proj)
}

// merge resolves a contact both sides changed, by the run's policy.
func (r *run) merge(base, hub, remote *mapping.Card) (*mapping.Card, []mapping.Conflict) {
	switch r.opts.Policy {
	case PolicyHubWins:
		m, cs := mapping.Merge(base, hub, remote, mapping.Ours)
		if len(cs) > 0 || base == nil {
			return hub.Clone(), cs
		}
		return m, nil
	case PolicyRemoteWins:
		m, cs := mapping.Merge(base, hub, remote, mapping.Theirs)
		if len(cs) > 0 || base == nil {
			return remote.Clone(), cs
		}
		return m, nil
	default:
		return mapping.Merge(base, hub, remote, mapping.Ours)
	}
}

// plan decides every action of the run, before anything is written.
func (r *run) plan(ctx context.Context) ([]*action, error) {
	pairs := map[string]*pair{}
	get := func(id string) *pair {
		p := pairs[id]
		if p == nil {
			p = &pair{}
			pairs[id] = p
		}
		return p
	}
	var newRemote []connectors.Item
	rebound := map[string]bool{} // records whose gone remote item a keyed one replaces
	for id, it := range r.remoteItems {
		rid, ok := r.s.byRemote[id]
		if l, linked := r.s.links[it.Key]; !ok && it.Key != "" && linked && r.remoteGone[l.Remote] && !rebound[it.Key] {
			// Our re-create of a contact whose remote item was deleted,
			// whose answer was lost: it is that contact's item now.
			rid, ok = it.Key, true
			rebound[rid] = true
		}
		if ok {
			get(rid).remote = &it
		} else {
			newRemote = append(newRemote, it)
		}
	}
	for id := range r.remoteGone {
		if rid, ok := r.s.byRemote[id]; ok && !rebound[rid] {
			get(rid).gone = true
		}
	}
	var newHub []*hubContact
	for id, hc := range r.hubChanged {
		l, linked := r.s.links[id]
		switch {
		case !linked && hc.card != nil:
			newHub = append(newHub, hc)
		case linked && (hc.card == nil || hashString(hc.card) != l.HubHash):
			get(id).hub = hc
		}
	}
	// Linked contacts whose remote item cannot be read are left alone.
	for id, p := range pairs {
		if l := r.s.links[id]; r.unreadable[l.Remote] {
			if p.hub != nil {
				r.noteFailedHub(p.hub.Modified)
			}
			delete(pairs, id)
		}
	}

	var plan []*action
	newRemote, orphans, err := r.ownCreates(ctx, newRemote)
	if err != nil {
		return nil, err
	}
	plan = append(plan, orphans...)
	matched, err := r.match(ctx, newRemote, newHub)
	if err != nil {
		return nil, err
	}
	plan = append(plan, matched...)
	claimed := map[string]bool{}
	for _, a := range plan {
		claimed[a.record] = true
	}
	for _, hc := range newHub {
		if claimed[hc.ID] {
			continue
		}
		if sent, ok := r.s.meta.Pending[hc.ID]; ok && r.waiting(sent) {
			// An interrupted run may have created it, and the account may
			// not list it yet: creating it again could duplicate it.
			until := time.Unix(sent, 0).Add(r.caps.ListingDelay)
			r.log.Info("create waits for the account to list an earlier attempt", "record", hc.ID, "until", until.Format(time.RFC3339))
			r.rep.Waiting++
			r.noteFailedHub(hc.Modified)
			continue
		}
		a := &action{record: hc.ID, rop: remoteCreate, remoteCard: r.caps.Project(hc.card),
			base: hc.card, hubChangedAt: hc.Modified}
		r.versions(a, link{}, &pair{})
		plan = append(plan, a)
	}

	// Read what deciding the linked contacts needs: current hub cards of
	// contacts whose hub record did not change, and bases of contacts both
	// sides changed.
	var needCur, needBase []string
	for id, p := range pairs {
		switch {
		case p.hub == nil && (p.gone || p.remote != nil):
			needCur = append(needCur, id)
		case p.hub != nil && p.hub.card != nil && p.remote != nil:
			needBase = append(needBase, id)
		}
	}
	slices.Sort(needCur)
	slices.Sort(needBase)
	cur, err := r.hubCards(ctx, needCur)
	if err != nil {
		return nil, err
	}
	bases, err := r.s.bases(ctx, needBase)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(pairs))
	for id := range pairs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := pairs[id]
		p.cur = cur[id]
		if a := r.decide(id, r.s.links[id], p, bases[id]); a != nil {
			plan = append(plan, a)
		}
	}
	return plan, nil
}

// decide is the reconciliation table of the architecture, for one linked
// contact.
func (r *run) decide(id string, l link, p *pair, base *mapping.Card) *action {
	a := &action{record: id, remote: l.Remote, etag: l.ETag}
	if p.remote != nil {
		a.remote, a.etag = p.remote.ID, p.remote.ETag
		a.remoteChange = true
	}
	if p.gone {
		a.remoteChange = true
	}
	if p.hub != nil {
		a.hubChangedAt = p.hub.Modified
	}
	hubCh := p.hub != nil
	hubDel := hubCh && p.hub.card == nil
	remCh := p.remote != nil && r.remoteHash(p.remote.Card) != l.RemoteHash

	switch {
	case hubDel && p.gone:
		a.dropLink = true
	case hubDel && remCh:
		// The edit wins: the contact comes back to the hub.
		a.hop, a.hubCard, a.hubNew = hubPut, p.remote.Card, true
		a.base, a.remoteHash, a.remoteETag = p.remote.Card, r.remoteHash(p.remote.Card), p.remote.ETag
	case hubDel:
		a.rop, a.dropLink = remoteDelete, true
	case p.gone && hubCh:
		// The edit wins: the contact is re-created on the remote.
		a.rop, a.remote, a.etag = remoteCreate, "", ""
		a.remoteCard, a.base = r.caps.Project(p.hub.card), p.hub.card
	case p.gone:
		if p.cur == nil || p.cur.card == nil {
			a.dropLink = true // already gone from the hub too
			break
		}
		a.hop, a.hubCard, a.dropLink = hubDelete, p.cur.card, true
	case hubCh && !remCh:
		desired := r.caps.Project(p.hub.card)
		a.base = p.hub.card
		if hashString(desired) == l.RemoteHash {
			// Nothing the remote can store changed.
			a.linkOnly, a.remoteHash = true, l.RemoteHash
			if p.remote != nil {
				a.remoteETag = p.remote.ETag
			}
			break
		}
		a.rop, a.remoteCard = remoteUpdate, desired
	case !hubCh && remCh:
		if p.cur == nil || p.cur.card == nil {
			// The hub lost the record: take the remote's version as new.
			a.hop, a.hubCard, a.hubNew = hubPut, p.remote.Card, true
			a.base, a.remoteHash, a.remoteETag = p.remote.Card, r.remoteHash(p.remote.Card), p.remote.ETag
			break
		}
		full := r.complete(p.remote.Card, p.cur.card)
		a.base, a.remoteHash, a.remoteETag = full, r.remoteHash(p.remote.Card), p.remote.ETag
		if hashString(full) == l.HubHash {
			a.linkOnly = true
			break
		}
		a.hop, a.hubCard = hubPut, full
	case hubCh && remCh:
		from := base
		if from == nil {
			from = p.hub.card
		}
		full := r.complete(p.remote.Card, from)
		merged, conflicts := r.merge(base, p.hub.card, full)
		a.conflicts, a.base = conflicts, merged
		if hashString(merged) != hashString(p.hub.card) {
			a.hop, a.hubCard = hubPut, merged
		}
		if desired := r.caps.Project(merged); hashString(desired) != r.remoteHash(p.remote.Card) {
			a.rop, a.remoteCard = remoteUpdate, desired
		} else {
			a.remoteHash, a.remoteETag = r.remoteHash(p.remote.Card), p.remote.ETag
		}
		if a.hop == hubNone && a.rop == remoteNone {
			a.linkOnly = true
		}
	default:
		// Neither side changed; only the remote etag may have moved.
		if p.remote == nil || p.remote.ETag == l.ETag {
			return nil
		}
		a.linkOnly, a.remoteHash, a.remoteETag = true, l.RemoteHash, p.remote.ETag
		a.base = nil // the base stays
	}
	r.versions(a, l, p)
	return a
}

// versions sets the vCard version an update keeps (the remote item's, as
// read in this run or last time) and the version the link records.
func (r *run) versions(a *action, l link, p *pair) {
	v := l.Version
	if p.remote != nil && p.remote.Card != nil {
		v = p.remote.Card.Version
	}
	switch a.rop {
	case remoteUpdate:
		a.remoteCard.Version = v
	case remoteCreate:
		a.remoteCard.Version = ""
	default:
		a.remoteVersion = v
	}
}

// count adds the writes of plan to the report, as a dry run shows them.
func (r *run) count(plan []*action) {
	for _, a := range plan {
		r.countAction(a)
	}
}

func (r *run) countAction(a *action) {
	switch a.rop {
	case remoteCreate:
		r.rep.ToRemote.Created++
	case remoteUpdate:
		r.rep.ToRemote.Updated++
	case remoteDelete:
		r.rep.ToRemote.Deleted++
	}
	switch {
	case a.hop == hubPut && a.hubNew:
		r.rep.ToHub.Created++
	case a.hop == hubPut:
		r.rep.ToHub.Updated++
	case a.hop == hubDelete:
		r.rep.ToHub.Deleted++
	}
	r.rep.Conflicts += len(a.conflicts)
}

// brake stops a run that would delete too much of an endpoint.
func (r *run) brake(plan []*action) error {
	if r.opts.AllowMassDelete {
		return nil
	}
	share, min := r.opts.brake()
	size := len(r.s.links)
	if size <= min {
		return nil
	}
	var remoteDeletes, hubDeletes int
	for _, a := range plan {
		if a.rop == remoteDelete {
			remoteDeletes++
		}
		if a.hop == hubDelete {
			hubDeletes++
		}
	}
	limit := int(share * float64(size))
	switch {
	case remoteDeletes > limit:
		return fmt.Errorf("%w: this run would delete %d of the %d contacts of account %s (more than %.0f%%); nothing was changed. "+
			"If the hub's deletions are intended, run again with --allow-mass-delete", ErrMassDelete, remoteDeletes, size, r.acct.Name, share*100)
	case hubDeletes > limit:
		return fmt.Errorf("%w: account %s lost %d of its %d contacts, and this run would delete them from the hub (more than %.0f%%); nothing was changed. "+
			"Check the account (an empty folder, a wrong address book?); if the deletions are intended, run again with --allow-mass-delete", ErrMassDelete, r.acct.Name, hubDeletes, size, share*100)
	}
	return nil
}

// ownCreates finds, among remote items the account has no link for, those
// this bridge created (their Key is a hub record id) and whose answer was
// lost: one whose hub record is live is matched to it by match (via UID or
// the key), one whose hub record has been deleted since is deleted again
// instead of coming back as a new contact. It returns the other items.
func (r *run) ownCreates(ctx context.Context, items []connectors.Item) (rest []connectors.Item, plan []*action, err error) {
	var keys []string
	for _, it := range items {
		if store.ValidID(it.Key) && r.hubChanged[it.Key] == nil {
			keys = append(keys, it.Key)
		}
	}
	slices.Sort(keys)
	cur, err := r.hubCards(ctx, slices.Compact(keys))
	if err != nil {
		return nil, nil, err
	}
	for _, it := range items {
		hc := r.hubChanged[it.Key]
		if hc == nil {
			hc = cur[it.Key]
		}
		_, linked := r.s.links[it.Key]
		if !store.ValidID(it.Key) || hc == nil || linked || hc.card != nil {
			rest = append(rest, it)
			continue
		}
		plan = append(plan, &action{record: it.Key, remote: it.ID, etag: it.ETag, rop: remoteDelete, dropLink: true, remoteChange: true})
	}
	return rest, plan, nil
}
