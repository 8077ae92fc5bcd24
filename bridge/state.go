package bridge

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

// The bridge keeps each account's state in the store next to the hub,
// encrypted under a key bundle of its own derived from the Sync Key, so that
// it is as safe as the contacts and commits atomically with the store's
// transactions:
//
//   - collection "st.<tag>": record "meta" (tokens) and link buckets
//     "b0000"…"b4095", each holding the links of the contacts whose record
//     id hashes into it, so that a commit rewrites only the buckets it
//     touched — a few links each, so a chunk of writes costs O(chunk);
//   - collection "bs.<tag>": one record per contact, the base — the contact
//     as the hub and the account last agreed — read only when both sides
//     changed.
//
// <tag> is an HMAC of the account name, so the store does not learn it.
const (
	stateInfo   = "contactbridge/v1/state"
	metaID      = "meta"
	journalID   = "journal"
	bucketCount = 4096
)

// A link ties one hub record to one remote item of an account.
type link struct {
	// Remote is the remote item id; ETag its version when last seen.
	Remote string `json:"r"`
	ETag   string `json:"e,omitempty"`
	// RemoteHash is the canonical hash of the remote card as last seen,
	// after projection to what the remote can store.
	RemoteHash string `json:"rh"`
	// HubHash is the canonical hash of the hub card both sides last agreed
	// on; the base record holds that card.
	HubHash string `json:"hh"`
	// Version is the vCard version of the remote item as last read or
	// written ("" when unknown), handed to Update so that a remote which
	// cannot see an item's version without a request keeps it.
	Version mapping.Version `json:"v,omitempty"`
}

// meta is the per-account record of where the last run stopped.
type meta struct {
	ID string `json:"id"`
	// Token is the remote's change token after the last complete run.
	Token string `json:"token,omitempty"`
	// TokenAt is when Token was stored (Unix time).
	TokenAt int64 `json:"token_at,omitempty"`
	// HubSince is the hub time up to which every hub change was applied.
	HubSince store.Timestamp `json:"hub_since"`
	// Synced is true once a first run finished.
	Synced bool `json:"synced,omitempty"`
	// Session is what a connectors.Resumer keeps between runs.
	Session string `json:"session,omitempty"`
	// Owner is the Account.Owner of the bridge that syncs the account.
	Owner string `json:"owner,omitempty"`
	// Pending holds the remote creates an interrupted run sent without
	// learning their outcome (hub record id → Unix time sent), until the
	// account lists them or its listing delay has passed.
	Pending map[string]int64 `json:"pending,omitempty"`
}

// equal reports whether m and o are the same record.
func (m meta) equal(o meta) bool {
	return m.ID == o.ID && m.Token == o.Token && m.TokenAt == o.TokenAt && m.HubSince == o.HubSince && m.Synced == o.Synced &&
		m.Session == o.Session && m.Owner == o.Owner && maps.Equal(m.Pending, o.Pending)
}

// journal lists the links a chunk of hub writes will leave, written before
// the writes. A run killed after the hub writes but before its links were
// committed would otherwise forget that a hub record came from a remote
// item; the next run installs each journalled link whose hub write is
// verifiably done (the hub record has the journalled hash).
//
// Creates lists the remote creates of the chunk (hub record id → Unix time
// sent): a run killed before it learnt their outcome leaves them pending
// (meta.Pending), so that the next run does not send them again while the
// account may not list them yet.
type journal struct {
	ID      string                  `json:"id"`
	Entries map[string]journalEntry `json:"entries"`
	Creates map[string]int64        `json:"creates,omitempty"`
}

// journalEntry is one link a hub write will leave. New marks a hub record
// the run creates under a fresh random id: if such a record exists at all,
// the write happened, whatever has become of the record since.
type journalEntry struct {
	Link link `json:"l"`
	New  bool `json:"n,omitempty"`
}

type bucket struct {
	ID    string          `json:"id"`
	Links map[string]link `json:"links"`
}

// state is one account's state in memory.
type state struct {
	st        store.Store
	user      string
	kb        mapping.KeyBundle
	coll      string // links and meta
	baseColl  string
	meta      meta
	links     map[string]link   // hub record id → link
	byRemote  map[string]string // remote id → hub record id
	dirty     map[int]bool      // buckets to rewrite
	baseDirty map[string]*mapping.Card
	journal   map[string]journalEntry // from a run that did not finish
	creates   map[string]int64        // journal.Creates
	account   string

	// linksLoaded says links and byRemote hold the stored links
	// (loadLinks); before, they are empty and must not be written.
	linksLoaded bool
}

func stateKeys(syncKey []byte) (mapping.KeyBundle, error) {
	return mapping.DeriveKeyBundle(syncKey, stateInfo)
}

func accountTag(kb mapping.KeyBundle, account string) string {
	m := hmac.New(sha256.New, kb.HMAC[:])
	m.Write([]byte(account))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:20]
}

func bucketOf(recordID string) int {
	h := fnv.New32a()
	h.Write([]byte(recordID))
	return int(h.Sum32() % bucketCount)
}

func bucketID(n int) string { return fmt.Sprintf("b%04d", n) }

// loadState reads an account's meta and journal; a missing state is an
// empty one. The links are read by loadLinks, when the run needs them: a
// run that finds nothing changed on either side never does.
func loadState(ctx context.Context, st store.Store, user string, kb mapping.KeyBundle, account string) (*state, error) {
	tag := accountTag(kb, account)
	s := &state{
		st: st, user: user, kb: kb, account: account,
		coll: "st." + tag, baseColl: "bs." + tag,
		links: map[string]link{}, byRemote: map[string]string{},
		dirty: map[int]bool{}, baseDirty: map[string]*mapping.Card{},
	}
	for _, r := range []struct {
		id string
		v  any
	}{{metaID, &s.meta}, {journalID, &journal{}}} {
		b, err := st.Get(ctx, user, s.coll, r.id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil {
			err = openJSON(kb, b, r.v)
		}
		if err != nil {
			return nil, fmt.Errorf("state: account %s: %s: %w", account, r.id, err)
		}
		if j, ok := r.v.(*journal); ok {
			s.journal, s.creates = j.Entries, j.Creates
		}
	}
	s.meta.ID = metaID
	return s, nil
}

// loadLinks reads the account's links, once.
func (s *state) loadLinks(ctx context.Context) error {
	if s.linksLoaded {
		return nil
	}
	q := store.Query{Limit: 1000}
	for {
		page, err := s.st.List(ctx, s.user, s.coll, q)
		if err != nil {
			return fmt.Errorf("state: account %s: %w", s.account, err)
		}
		// Decrypt and decode the page on every core; each record is decoded
		// once, and its id checked there.
		buckets := make([]bucket, len(page.Records))
		errs := make([]error, len(page.Records))
		parallel(len(page.Records), func(i int) {
			b := page.Records[i]
			if b.ID == metaID || b.ID == journalID {
				return
			}
			plain, err := s.kb.OpenUnchecked(b.ID, b.Payload)
			if err == nil {
				err = json.Unmarshal(plain, &buckets[i])
			}
			if err == nil && buckets[i].ID != b.ID {
				err = fmt.Errorf("record %s: %w", b.ID, mapping.ErrIDMismatch)
			}
			errs[i] = err
		})
		for i, b := range page.Records {
			if errs[i] != nil {
				return fmt.Errorf("state: account %s: %s: %w", s.account, b.ID, errs[i])
			}
			for id, l := range buckets[i].Links {
				s.links[id] = l
				s.byRemote[l.Remote] = id
			}
		}
		if page.NextOffset == "" {
			break
		}
		q.Offset = page.NextOffset
	}
	s.linksLoaded = true
	return nil
}

func (s *state) setLink(recordID string, l link) {
	if old, ok := s.links[recordID]; ok && old.Remote != l.Remote {
		delete(s.byRemote, old.Remote)
	}
	s.links[recordID] = l
	s.byRemote[l.Remote] = recordID
	s.dirty[bucketOf(recordID)] = true
}

func (s *state) dropLink(recordID string) {
	if old, ok := s.links[recordID]; ok {
		delete(s.byRemote, old.Remote)
		delete(s.links, recordID)
		s.dirty[bucketOf(recordID)] = true
	}
}

// setBase records the card both sides agree on for recordID, to be written
// at the next commit.
func (s *state) setBase(recordID string, c *mapping.Card) { s.baseDirty[recordID] = c }

// bases reads the stored bases of ids whose hash matches the link's HubHash;
// a base that is missing or stale is left out (the merge then has no common
// ancestor and unites both sides).
func (s *state) bases(ctx context.Context, ids []string) (map[string]*mapping.Card, error) {
	out := map[string]*mapping.Card{}
	for chunk := range slices.Chunk(ids, store.MaxIDs) {
		page, err := s.st.List(ctx, s.user, s.baseColl, store.Query{IDs: chunk})
		if err != nil {
			return nil, fmt.Errorf("state: read bases: %w", err)
		}
		for _, b := range page.Records {
			r, err := mapping.OpenRecord(s.kb, b.ID, b.Payload)
			if err != nil {
				continue // unreadable base: merge without it
			}
			c, err := mapping.Parse([]byte(r.VCard))
			if err != nil {
				continue
			}
			if l, ok := s.links[b.ID]; ok && hashString(c) == l.HubHash {
				out[b.ID] = c
			}
		}
	}
	return out, nil
}

// commit writes the touched bases, then the touched link buckets, then (when
// m is not nil) the meta record. Each write is atomic; the order means a
// link never names a base older than itself, and the tokens advance only
// after everything they cover is stored.
func (s *state) commit(ctx context.Context, m *meta) error {
	var ws []store.Write
	for id, c := range s.baseDirty {
		if c == nil {
			continue
		}
		b, err := c.Marshal(mapping.Version40)
		if err != nil {
			return fmt.Errorf("state: base %s: %w", id, err)
		}
		p, err := mapping.SealRecord(s.kb, mapping.Record{ID: id, VCard: string(b)})
		if err != nil {
			return fmt.Errorf("state: %w", err)
		}
		ws = append(ws, store.Write{ID: id, Payload: &p})
	}
	if err := s.post(ctx, s.baseColl, ws); err != nil {
		return err
	}
	clear(s.baseDirty)
	ws = ws[:0]
	if len(s.dirty) > 0 && !s.linksLoaded {
		// A bucket is rewritten whole: without the stored links it
		// would lose them.
		return fmt.Errorf("state: account %s: links changed before they were read", s.account)
	}
	buckets := make([]bucket, bucketCount)
	for n := range s.dirty {
		buckets[n] = bucket{ID: bucketID(n), Links: map[string]link{}}
	}
	for id, l := range s.links {
		if n := bucketOf(id); s.dirty[n] {
			buckets[n].Links[id] = l
		}
	}
	for n := range s.dirty {
		w, err := s.seal(buckets[n].ID, buckets[n])
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	if m != nil {
		m.ID = metaID
		w, err := s.seal(metaID, m)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	if err := s.post(ctx, s.coll, ws); err != nil {
		return err
	}
	clear(s.dirty)
	if m != nil {
		s.meta = *m
	}
	return nil
}

// writeJournal records the links the next writes will leave and the remote
// creates they send (nil: none).
func (s *state) writeJournal(ctx context.Context, entries map[string]journalEntry, creates map[string]int64) error {
	if len(entries) == 0 && len(creates) == 0 && len(s.journal) == 0 && len(s.creates) == 0 {
		return nil
	}
	w, err := s.seal(journalID, journal{ID: journalID, Entries: entries, Creates: creates})
	if err != nil {
		return err
	}
	if _, err := s.st.Put(ctx, s.user, s.coll, w, store.Precondition{}); err != nil {
		return fmt.Errorf("state: write journal: %w", err)
	}
	s.journal, s.creates = entries, creates
	return nil
}

// touchCreates records in the journal that the creates of ids are sent at
// t (Unix time): a chunk's batches go one after the other, and the listing
// delay counts from the last send.
func (s *state) touchCreates(ctx context.Context, ids []string, t int64) error {
	creates := maps.Clone(s.creates)
	if creates == nil {
		creates = map[string]int64{}
	}
	for _, id := range ids {
		creates[id] = t
	}
	return s.writeJournal(ctx, s.journal, creates)
}

func (s *state) seal(id string, v any) (store.Write, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return store.Write{}, fmt.Errorf("state: %s: %w", id, err)
	}
	p, err := s.kb.Encrypt(plain)
	if err != nil {
		return store.Write{}, fmt.Errorf("state: %s: %w", id, err)
	}
	return store.Write{ID: id, Payload: &p}, nil
}

func (s *state) post(ctx context.Context, coll string, ws []store.Write) error {
	for chunk := range slices.Chunk(ws, max(s.st.Limits().MaxPostRecords, 1)) {
		res, err := s.st.Post(ctx, s.user, coll, chunk, store.Precondition{})
		if err != nil {
			return fmt.Errorf("state: write %s: %w", coll, err)
		}
		if len(res.Failed) > 0 {
			for id, reason := range res.Failed {
				return fmt.Errorf("state: write %s/%s: %s", coll, id, reason)
			}
		}
	}
	return nil
}

// openJSON decrypts a state record and decodes it into v.
func openJSON(kb mapping.KeyBundle, b store.BSO, v any) error {
	plain, err := kb.Decrypt(b.ID, b.Payload)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

func hashString(c *mapping.Card) string {
	h := c.Hash()
	return base64.RawStdEncoding.EncodeToString(h[:16])
}
