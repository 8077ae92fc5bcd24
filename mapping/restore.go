package mapping

import "strings"

// Restore returns theirs — a remote's copy of a contact — with every
// element it has unchanged from norm, what that remote keeps of orig
// (norm is orig written to the remote and read back), replaced by orig's
// own version: a parameter, type or group label the remote has no room for
// is not lost when the user edits something else of the contact there.
// What the user changed on the remote stays as the remote has it.
//
// Elements (a property with its group, one list item) of orig and norm are
// paired by property name and value, then by position among the rest when
// as many remain on each side (pairElements); an element left unpaired is
// as theirs has it. A property orig has, norm has none of
// and theirs has none of either — a photo by URL on a remote that keeps
// only inline ones — comes back from orig (a group does not: the remote
// may have split it into properties theirs has). Restore does not modify its
// arguments.
func Restore(theirs, norm, orig *Card) *Card {
	ts, tm := cardElements(theirs)
	ns, nm := cardElements(norm)
	os, om := cardElements(orig)

	out := &Card{Version: theirs.Version}
	labels := map[string]bool{}
	emit := func(props []Property) {
		for _, p := range props {
			if p.Group != "" {
				labels[strings.ToLower(p.Group)] = true
			}
			out.Props = append(out.Props, p.clone())
		}
	}
	for _, t := range ts {
		take := t
		if n, o := findSingle(ns, t.name), findSingle(os, t.name); n != nil && o != nil && n.key == t.key {
			take = o
		}
		emit(take.props)
	}
	for _, o := range os {
		if findSingle(ns, o.name) == nil && findSingle(ts, o.name) == nil {
			emit(o.props)
		}
	}

	byClass := func(es []*element) map[string][]*element {
		m := map[string][]*element{}
		for _, e := range es {
			m[elementClass(e)] = append(m[elementClass(e)], e)
		}
		return m
	}
	oc, nc, tc := byClass(om), byClass(nm), byClass(tm)
	richer := map[string][]*element{} // norm key → orig elements
	var merged []*element
	for class, os := range oc {
		ns := nc[class]
		if len(ns) == 0 && len(tc[class]) == 0 {
			for _, o := range os {
				if !o.group { // a group the remote split up is in theirs
					merged = append(merged, o)
				}
			}
		}
		for n, o := range pairElements(ns, os) {
			richer[n.key] = append(richer[n.key], o)
		}
	}
	for _, t := range tm {
		if q := richer[t.key]; len(q) > 0 {
			merged, richer[t.key] = append(merged, q[0]), q[1:]
			continue
		}
		merged = append(merged, t)
	}
	// The elements are cardElements' copies: relabelling them leaves the
	// arguments alone.
	relabel(merged, labels)
	out.Props = append(out.Props, joinElements(merged)...)
	appendRevision(out, theirs)
	return out
}

// pairElements pairs the elements of one class of norm with orig's: first
// the identical ones, then those whose values are the same (a remote that
// sorts values into slots reorders them: Outlook puts the mobile number
// before the work ones, and one number may be on a card twice with
// different types), then, when as many remain on each side, the rest by
// position. A value the remote dropped leaves its orig element unpaired.
func pairElements(ns, os []*element) map[*element]*element {
	out := map[*element]*element{}
	used := make([]bool, len(os))
	pass := func(ns []*element, same func(n, o *element) bool) (rest []*element) {
		for _, n := range ns {
			found := false
			for i, o := range os {
				if !used[i] && same(n, o) {
					out[n], used[i], found = o, true, true
					break
				}
			}
			if !found {
				rest = append(rest, n)
			}
		}
		return rest
	}
	restN := pass(ns, func(n, o *element) bool { return n.key == o.key })
	restN = pass(restN, func(n, o *element) bool { return elementValue(n) == elementValue(o) })
	var restO []*element
	for i, o := range os {
		if !used[i] {
			restO = append(restO, o)
		}
	}
	if len(restN) == len(restO) {
		for i, n := range restN {
			out[n] = restO[i]
		}
	}
	return out
}

// elementValue is an element's values, without names, parameters or
// groups.
func elementValue(e *element) string {
	var b strings.Builder
	for _, p := range e.props {
		if p.Name == "X-ABLABEL" {
			continue
		}
		b.WriteString(strings.ToLower(strings.TrimSpace(p.Value)))
		b.WriteByte(0)
	}
	return b.String()
}

// elementClass is what Restore pairs elements by: the property names of
// an element without its label, so that a value keeps its partner whether
// or not the remote kept its X-ABLABEL.
func elementClass(e *element) string {
	if !e.group {
		return e.name
	}
	var names []string
	for n := range strings.SplitSeq(e.name, "+") {
		if n != "X-ABLABEL" {
			names = append(names, n)
		}
	}
	return strings.Join(names, "+")
}
