package bridge

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// match pairs remote items the account has no link for with hub records it
// has none for either — the first sync of an account into a non-empty hub,
// or a create whose link a crash lost — so that the same person is linked,
// not duplicated. It matches by UID first, then by strong identity: a
// shared e-mail address or phone number and a compatible name. An item
// that matches no record, or more than one, becomes a new hub record: two
// different people are never merged.
func (r *run) match(ctx context.Context, items []connectors.Item, newHub []*hubContact) ([]*action, error) {
	if len(items) == 0 {
		return nil, nil
	}
	slices.SortFunc(items, func(a, b connectors.Item) int { return strings.Compare(a.ID, b.ID) })
	cands := newHub
	if !r.allHubLoaded {
		if err := r.loadAllHub(ctx); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, hc := range cands {
		seen[hc.ID] = true
	}
	for id, hc := range r.hubAll {
		if _, linked := r.s.links[id]; !linked && !seen[id] {
			cands = append(cands, hc)
		}
	}
	byUID := map[string][]string{}
	byKey := map[string][]string{}
	cardOf := map[string]*hubContact{}
	for _, hc := range cands {
		cardOf[hc.ID] = hc
		if uid := strings.TrimSpace(hc.card.Value("UID")); uid != "" {
			byUID[uid] = append(byUID[uid], hc.ID)
		}
		for _, k := range identityKeys(hc.card) {
			byKey[k] = append(byKey[k], hc.ID)
		}
	}
	claimed := map[string]bool{}
	unique := func(ids []string, ok func(string) bool) string {
		found := ""
		for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
			if claimed[id] || !ok(id) {
				continue
			}
			if found != "" {
				return "" // ambiguous
			}
			found = id
		}
		return found
	}
	var plan []*action
	for _, it := range items {
		any := func(string) bool { return true }
		id := ""
		if it.Key != "" && cardOf[it.Key] != nil && !claimed[it.Key] {
			id = it.Key // our own create, whose answer was lost
		}
		if uid := strings.TrimSpace(it.Card.Value("UID")); id == "" && uid != "" {
			id = unique(byUID[uid], any)
		}
		if id == "" {
			var ids []string
			for _, k := range identityKeys(it.Card) {
				ids = append(ids, byKey[k]...)
			}
			id = unique(ids, func(c string) bool { return namesCompatible(it.Card, cardOf[c].card) })
		}
		if id == "" {
			nid, err := mapping.NewGUID()
			if err != nil {
				return nil, err
			}
			plan = append(plan, &action{record: nid, remote: it.ID, hop: hubPut, hubCard: it.Card, hubNew: true,
				base: it.Card, remoteHash: r.remoteHash(it.Card), remoteETag: it.ETag, remoteVersion: it.Card.Version,
				remoteChange: true})
			continue
		}
		claimed[id] = true
		hc := cardOf[id]
		merged, conflicts := r.merge(nil, hc.card, r.complete(it.Card, hc.card))
		a := &action{record: id, remote: it.ID, etag: it.ETag, base: merged, conflicts: conflicts,
			hubChangedAt: hc.Modified, remoteChange: true}
		if hashString(merged) != hashString(hc.card) {
			a.hop, a.hubCard = hubPut, merged
		}
		if desired := r.caps.Project(merged); hashString(desired) != r.remoteHash(it.Card) {
			a.rop, a.remoteCard = remoteUpdate, desired
		} else {
			a.remoteHash, a.remoteETag = r.remoteHash(it.Card), it.ETag
		}
		if a.hop == hubNone && a.rop == remoteNone {
			a.linkOnly = true
		}
		r.versions(a, link{}, &pair{remote: &it})
		plan = append(plan, a)
	}
	return plan, nil
}

// identityKeys are the strong identity keys of a card: its e-mail addresses
// (lower case) and phone numbers (digits only, at least 7 of them).
func identityKeys(c *mapping.Card) []string {
	var keys []string
	for _, p := range c.All("EMAIL") {
		if v := strings.ToLower(strings.TrimSpace(p.Text())); strings.Contains(v, "@") {
			keys = append(keys, "e:"+strings.TrimPrefix(v, "mailto:"))
		}
	}
	for _, p := range c.All("TEL") {
		var d strings.Builder
		for _, ch := range p.Text() {
			if unicode.IsDigit(ch) {
				d.WriteRune(ch)
			}
		}
		if s := d.String(); len(s) >= 7 {
			// The last 9 digits ignore a country or trunk prefix.
			keys = append(keys, "t:"+s[max(0, len(s)-9):])
		}
	}
	return keys
}

// namesCompatible reports whether two cards can name the same person: the
// same normalised FN, or the same family and given names. Cards without any
// name are not compatible with anything, so an address shared by two people
// never merges them.
func namesCompatible(a, b *mapping.Card) bool {
	fa, fb := normName(a.Value("FN")), normName(b.Value("FN"))
	if fa != "" && fa == fb {
		return true
	}
	na, nb := nameParts(a), nameParts(b)
	return na != "" && na == nb
}

func nameParts(c *mapping.Card) string {
	p := c.Get("N")
	if p == nil {
		return ""
	}
	comps := p.Components()
	if len(comps) < 2 {
		return ""
	}
	family, given := normName(comps[0]), normName(comps[1])
	if family == "" || given == "" {
		return ""
	}
	return family + "|" + given
}

func normName(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}
