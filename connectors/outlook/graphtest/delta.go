package graphtest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// A deltaState is what a $skiptoken (a round in progress) or a
// $deltatoken (a finished round) stands for. Tokens are kept by the
// server, so a token the server never issued, or has dropped, is lost
// sync state (reference §3).
type deltaState struct {
	kind     string // "contacts" or "folders"
	u        *User
	folder   string // contacts: the folder tracked
	link     string // the absolute delta URL the links carry, without query
	sel      selection
	pageSize int // Prefer: odata.maxpagesize of the initial request; 0 if none

	// The round: a skip token stands for the next page of it.
	initial bool
	since   uint64 // incremental rounds: changes after this are news
	start   uint64 // the watermark when the round began
	cursor  uint64 // the last sequence number served in the round
	page    int    // pages served in the round
	// Options.ReplayPages: where the previous page started, and whether
	// this page is a replay.
	prevCursor uint64
	replayed   bool

	// A finished round: a delta token.
	done   bool
	mark   uint64 // everything up to here was delivered
	gen    int    // generation among the delta tokens of the scope
	replay bool   // Server.ReplayDelta: the next round from here replays this one

	issued time.Time
	epoch  int // Server.ExpireDeltaTokens bumps the epoch; older tokens are lost
}

func (st *deltaState) scope() string { return st.kind + ":" + st.folder }

// ExpireDeltaTokens drops every delta and skip token issued so far, as
// the internal delta-token cache of reference §3 can: following one of
// their links answers the lost-sync-state error (410 SyncStateNotFound by
// default).
func (s *Server) ExpireDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deltaEpoch++
}

// ReplayDelta makes each deltaLink issued so far, when next followed,
// deliver the changes of the round that produced it again besides the new
// ones (reference §3: "rounds may replay items"). Options.ReplayDelta
// does this for every round.
func (s *Server) ReplayDelta() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.deltaTokens {
		if st.done {
			st.replay = true
		}
	}
}

// contactDelta is GET /me/contactFolders/{id}/contacts/delta (and the
// undocumented /me/contacts/delta for the default folder, reference §1).
func (s *Server) contactDelta(c *call, rt *route) *response { return s.delta(c, rt, "contacts") }

// folderDelta is GET /me/contactFolders/delta.
func (s *Server) folderDelta(c *call, rt *route) *response { return s.delta(c, rt, "folders") }

// delta serves one delta page (reference §3, §10.1). A request without
// token (or with an empty $deltatoken) starts an initial round; a
// $skiptoken continues a round; a $deltatoken starts an incremental round
// after the round that issued it. Pages come in change order; a page with
// @odata.nextLink may be empty; the last page carries @odata.deltaLink.
// Query options other than $select are refused, and $select counts only
// on the initial request: it is encoded in the tokens.
func (s *Server) delta(c *call, rt *route, kind string) *response {
	skip, hasSkip := c.query["$skiptoken"]
	dtok, hasDelta := c.query["$deltatoken"]
	var sel selection
	typ := "contact"
	if kind == "folders" {
		typ = "contactFolder"
	}
	if !hasSkip && (!hasDelta || dtok[0] == "") {
		q, err := s.parseQuery(c.query, typ, "$deltatoken")
		if err != nil {
			return c.errorResponse(err)
		}
		sel = q.sel
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	userPart := "me"
	if rt.user != "" {
		userPart = "users/" + rt.user
	}
	cur := &deltaState{kind: kind, u: c.u}
	switch {
	case kind == "folders":
		cur.link = s.base + "/v1.0/" + userPart + "/contactfolders/delta"
	case rt.dflt:
		cur.folder = c.u.defFolder.id
		cur.link = s.base + "/v1.0/" + userPart + "/contacts/delta"
	default:
		f, err := c.folderOf(rt)
		if err != nil {
			return c.errorResponse(err)
		}
		cur.folder = f.id
		cur.link = s.base + "/v1.0/" + userPart + "/contactfolders/" + f.id + "/contacts/delta"
	}
	W := c.u.watermark(c.now)
	var st deltaState
	switch {
	case hasSkip:
		old := s.deltaTokens[skip[0]]
		if lost, gen := s.lostToken(c, old, cur, false); lost {
			return s.deltaLost(c, old, cur, gen)
		}
		st = *old
		st.replayed = false
		if s.opts.ReplayPages && !old.replayed && old.page > 0 {
			st.cursor, st.replayed = old.prevCursor, true
		}
	case hasDelta && dtok[0] != "":
		old := s.deltaTokens[dtok[0]]
		if lost, gen := s.lostToken(c, old, cur, true); lost {
			return s.deltaLost(c, old, cur, gen)
		}
		st = deltaState{kind: kind, u: c.u, folder: cur.folder, link: cur.link, sel: old.sel, pageSize: old.pageSize,
			since: old.mark, start: W, cursor: old.mark}
		if old.replay || s.opts.ReplayDelta {
			st.since, st.cursor = old.since, old.since
			old.replay = false
		}
	default:
		st = deltaState{kind: kind, u: c.u, folder: cur.folder, link: cur.link, sel: sel, pageSize: c.prefs.maxPageSize,
			initial: true, start: W}
	}

	size, applied := s.opts.DeltaPageSize, 0
	switch {
	case c.prefs.maxPageSize > 0:
		size = min(c.prefs.maxPageSize, maxDeltaPageSize)
		applied = size
	case st.pageSize > 0:
		size = min(st.pageSize, maxDeltaPageSize)
	}
	var entries []deltaEntry
	if kind == "folders" {
		entries = s.folderEntries(c, &st, W)
	} else {
		entries = s.contactEntries(c, &st, W)
	}
	values := []object{}
	next := st
	next.page++
	next.prevCursor = st.cursor
	next.issued, next.epoch = c.now, s.deltaEpoch
	linkKey := "@odata.nextLink"
	switch {
	case s.opts.DeltaEmptyPages && st.page%2 == 0:
		// An empty page that still promises more (reference §3).
	case len(entries) > size:
		for _, e := range entries[:size] {
			values = append(values, e.body)
		}
		next.cursor = entries[size-1].seq
	default:
		for _, e := range entries {
			values = append(values, e.body)
		}
		linkKey = "@odata.deltaLink"
		next.done, next.mark = true, W
		c.u.deltaGen[next.scope()]++
		next.gen = c.u.deltaGen[next.scope()]
	}
	token := randomToken(120)
	s.deltaTokens[token] = &next
	param := "$skiptoken="
	if next.done {
		param = "$deltatoken="
	}
	body := object{
		{"@odata.context", s.base + "/v1.0/$metadata#Collection(" + typ + ")"},
		{linkKey, st.link + "?" + param + token},
		{"value", values},
	}
	return c.preferenceApplied(jsonResponse(http.StatusOK, body), applied)
}

// lostToken reports whether old (the state behind a token) is unusable for
// the request cur: never issued (or dropped), issued for another folder
// or user, of the wrong kind (a skip token given as delta token), expired
// by epoch or TTL, or pushed out of the delta-token cache. gen is the
// token's generation, for the error message.
func (s *Server) lostToken(c *call, old, cur *deltaState, wantDone bool) (bool, int) {
	if old == nil || old.u != cur.u || old.kind != cur.kind || old.folder != cur.folder || old.done != wantDone {
		return true, 0
	}
	if old.epoch < s.deltaEpoch || (s.opts.DeltaTokenTTL > 0 && !c.now.Before(old.issued.Add(s.opts.DeltaTokenTTL))) {
		return true, old.gen
	}
	if wantDone && s.opts.DeltaTokenCache > 0 && cur.u.deltaGen[old.scope()]-old.gen >= s.opts.DeltaTokenCache {
		return true, old.gen
	}
	return false, 0
}

// deltaLost is the lost-sync-state error of reference §3: by default the
// recorded 410 Gone with code SyncStateNotFound and the "sync state
// generation is not found" message; Options shape the status, code and
// the Location header holding the reset URL.
func (s *Server) deltaLost(c *call, old, cur *deltaState, gen int) *response {
	code := s.opts.DeltaLossCode
	msg := msgResyncRequired
	if !strings.EqualFold(code, "resyncRequired") {
		high := cur.u.deltaGen[cur.scope()]
		retained := ""
		if n := s.opts.DeltaTokenCache; n > 0 && high > 0 {
			retained = fmt.Sprintf("[%d]", high)
			for g := max(1, high-n+1); g < high; g++ {
				retained += fmt.Sprintf("[%d]", g)
			}
		}
		msg = fmt.Sprintf(msgSyncStateNotFoundFm, gen, high, retained)
	}
	e := newError(s.opts.DeltaLossStatus, code, msg)
	if s.opts.DeltaLossLocation {
		loc := cur.link + "?$deltatoken="
		if old != nil && old.sel != nil {
			loc += "&$select=" + strings.Join(sortedKeys(old.sel), ",")
		}
		e.header = http.Header{"Location": {loc}}
	}
	return c.errorResponse(e)
}

// A deltaEntry is one member of a delta page: an item or an @removed
// entry, at the sequence number of the change it reports.
type deltaEntry struct {
	seq  uint64
	body object
}

func removedEntry(id, reason string) object {
	return object{{"id", id}, {"@removed", object{{"reason", reason}}}}
}

// contactEntries lists, in change order, what the round st still has to
// report about the contacts of its folder, as of watermark W: contacts in
// the folder changed after the cursor, and @removed entries for contacts
// the client may hold that left it — deleted ("deleted" or "changed"
// after Options.DeleteReason or User.SoftDelete) or moved out
// (Options.MovedOutReason). An initial round reports the folder's contents
// and only what left it during the round.
func (s *Server) contactEntries(c *call, st *deltaState, W uint64) []deltaEntry {
	ref := st.since
	if st.initial {
		ref = st.start
	}
	var out []deltaEntry
	for _, ct := range c.u.order {
		v := ct.atOrBefore(W)
		if v == nil || v.seq <= st.cursor {
			continue
		}
		if !v.removed && v.folder == st.folder {
			out = append(out, deltaEntry{v.seq, c.renderContact(ct, v, st.sel, expansion{})})
			continue
		}
		if v.seq <= ref {
			continue
		}
		last := lastIn(ct, st.folder, ref, v.seq)
		if last == nil {
			continue
		}
		reason := s.opts.MovedOutReason
		if v.removed {
			reason = v.reason
		}
		out = append(out, deltaEntry{v.seq, removedEntry(c.idOf(ct, last), reason)})
	}
	sortEntries(out)
	return out
}

// lastIn is the last version of ct that was live in folder at or after
// ref (up to upTo), or nil if ct was not in the folder then: a client
// synced to ref may hold it under that version's id.
func lastIn(ct *contact, folder string, ref, upTo uint64) *version {
	var last *version
	if v := ct.atOrBefore(ref); v != nil && !v.removed && v.folder == folder {
		last = v
	}
	for _, v := range ct.versions {
		if v.seq > ref && v.seq <= upTo && !v.removed && v.folder == folder {
			last = v
		}
	}
	return last
}

// folderEntries is contactEntries for the folder delta: the contact
// folders of the mailbox (the default one only with
// Options.ListDefaultFolder).
func (s *Server) folderEntries(c *call, st *deltaState, W uint64) []deltaEntry {
	ref := st.since
	if st.initial {
		ref = st.start
	}
	var out []deltaEntry
	for _, f := range c.u.folderList {
		if f == c.u.defFolder && !s.opts.ListDefaultFolder {
			continue
		}
		var v, before *folderVersion
		for _, fv := range f.versions {
			if fv.seq <= W {
				v = fv
			}
			if fv.seq <= ref {
				before = fv
			}
		}
		if v == nil || v.seq <= st.cursor {
			continue
		}
		switch {
		case !v.deleted:
			out = append(out, deltaEntry{v.seq, renderFolder(f, v, st.sel)})
		case v.seq > ref && (before == nil || !before.deleted):
			out = append(out, deltaEntry{v.seq, removedEntry(f.id, reasonDeleted)})
		}
	}
	sortEntries(out)
	return out
}

func sortEntries(es []deltaEntry) {
	slices.SortFunc(es, func(a, b deltaEntry) int { return cmp.Compare(a.seq, b.seq) })
}
