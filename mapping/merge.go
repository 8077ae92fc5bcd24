package mapping

import (
	"strconv"
	"strings"
)

// Side names one of the two versions a three-way merge combines.
type Side uint8

// The sides of a merge. Which is the hub and which the remote is the
// bridge's choice; Merge only needs to know which one wins conflicts.
const (
	Ours Side = iota
	Theirs
)

// String returns "ours" or "theirs".
func (s Side) String() string {
	if s == Theirs {
		return "theirs"
	}
	return "ours"
}

// A Conflict is a single-valued property both sides changed, differently.
// Merge resolves it by taking Chosen; the bridge logs it for the user.
type Conflict struct {
	// Name is the property name ("FN").
	Name string
	// Base, Ours and Theirs hold that property in each version; an empty
	// slice means the version does not have it (deleted, or never set).
	Base, Ours, Theirs []Property
	// Chosen is the side whose value the merged card has.
	Chosen Side
}

// Merge combines ours and theirs, two edits of base, property by property:
//
//   - A single-valued property (FN, N, BDAY, ANNIVERSARY, GENDER, NOTE, ORG,
//     TITLE, ROLE, PHOTO, LOGO, KIND, UID, TZ, GEO …) takes the side that
//     changed it. When both changed it to different values, that is a
//     Conflict, resolved in favour of prefer.
//   - Every other property (EMAIL, TEL, ADR, URL, IMPP, RELATED, MEMBER,
//     unknown and X- properties), every group, and every CATEGORIES and
//     NICKNAME item merges as a set: what either side added is kept, what
//     either side deleted is gone, so both sides' additions survive and
//     there are no conflicts. Changing an e-mail address is deleting the
//     old one and adding the new one, which merges the same way.
//   - REV and PRODID come from prefer.
//
// base may be nil when the two versions have no common ancestor; then
// every difference in a single-valued property is a conflict and the other
// properties are united. Merge does not modify its arguments. When one side
// did not change (same Hash as base), the result is a copy of the other.
func Merge(base, ours, theirs *Card, prefer Side) (*Card, []Conflict) {
	if base == nil {
		base = &Card{}
	}
	if ours == nil {
		ours = &Card{}
	}
	if theirs == nil {
		theirs = &Card{}
	}
	hb, ho, ht := base.Hash(), ours.Hash(), theirs.Hash()
	switch {
	case ho == ht, hb == ht:
		return ours.Clone(), nil
	case hb == ho:
		return theirs.Clone(), nil
	}
	bs, bm := cardElements(base)
	os, om := cardElements(ours)
	ts, tm := cardElements(theirs)

	out := &Card{}
	labels := map[string]bool{} // group labels in use, lower case
	var conflicts []Conflict
	for _, name := range singleNames(os, ts, bs) {
		b, o, t := findSingle(bs, name), findSingle(os, name), findSingle(ts, name)
		bk, ok, tk := elementKey(b), elementKey(o), elementKey(t)
		var take *element
		switch {
		case ok == tk, tk == bk:
			take = o
		case ok == bk:
			take = t
		default:
			take = o
			if prefer == Theirs {
				take = t
			}
			conflicts = append(conflicts, Conflict{Name: name, Base: elementProps(b),
				Ours: elementProps(o), Theirs: elementProps(t), Chosen: prefer})
		}
		for _, p := range elementProps(take) {
			if p.Group != "" {
				labels[strings.ToLower(p.Group)] = true
			}
			out.Props = append(out.Props, p.clone())
		}
	}

	cb, co, ct := countKeys(bm), countKeys(om), countKeys(tm)
	want := map[string]int{}
	for k := range co {
		want[k] = mergeCount(cb[k], co[k], ct[k])
	}
	for k := range ct {
		if _, seen := want[k]; !seen {
			want[k] = mergeCount(cb[k], co[k], ct[k])
		}
	}
	var merged []*element
	for _, list := range [][]*element{om, tm} {
		for _, e := range list {
			if want[e.key] > 0 {
				want[e.key]--
				merged = append(merged, e)
			}
		}
	}
	relabel(merged, labels)
	out.Props = append(out.Props, joinElements(merged)...)

	src := ours
	if prefer == Theirs {
		src = theirs
	}
	appendRevision(out, src)
	return out, conflicts
}

// relabel keeps each group element's own label unless another group
// already has it (both sides added an "item3"), then takes a free one.
// labels holds the labels in use (lower case) and gains those given.
func relabel(es []*element, labels map[string]bool) {
	for _, e := range es {
		if !e.group {
			continue
		}
		label := e.props[0].Group
		if labels[strings.ToLower(label)] {
			label = freeLabel(labels)
		}
		labels[strings.ToLower(label)] = true
		for i := range e.props {
			e.props[i].Group = label
		}
	}
}

// appendRevision appends src's REV and PRODID to out: properties no
// merge decides, taken from the side that wins.
func appendRevision(out, src *Card) {
	for _, p := range src.Props {
		if n := strings.ToUpper(p.Name); n == "REV" || n == "PRODID" {
			out.Props = append(out.Props, p.clone())
		}
	}
}

// mergeCount is the three-way merge of how often one element occurs: both
// adding it gives one more, not two; one deleting it removes it.
func mergeCount(b, o, t int) int {
	do, dt := o-b, t-b
	switch {
	case do >= 0 && dt >= 0:
		return b + max(do, dt)
	case do <= 0 && dt <= 0:
		return b + min(do, dt)
	}
	return max(0, b+do+dt)
}

func elementKey(e *element) string {
	if e == nil {
		return ""
	}
	return e.key
}

func elementProps(e *element) []Property {
	if e == nil {
		return nil
	}
	return e.props
}

// freeLabel returns the first "itemN" not in use.
func freeLabel(used map[string]bool) string {
	for n := 1; ; n++ {
		l := "item" + strconv.Itoa(n)
		if !used[l] {
			return l
		}
	}
}

// joinElements turns elements back into properties; list items with the same
// name and parameters become one property again, where the first was.
func joinElements(es []*element) []Property {
	var out []Property
	at := map[string]int{} // name and parameters → index in out
	for _, e := range es {
		if !e.list {
			for _, p := range e.props {
				out = append(out, p.clone())
			}
			continue
		}
		p := e.props[0]
		head := p
		head.Value = ""
		k := propKey(&head)
		if i, ok := at[k]; ok {
			out[i].Value += "," + p.Value
			continue
		}
		at[k] = len(out)
		out = append(out, p.clone())
	}
	return out
}
