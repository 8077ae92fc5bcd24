package mapping

import (
	"slices"
	"strings"
)

// Diff and merge compare cards element by element. An element is one of:
//
//   - all instances of a single-valued property (FN, N, NOTE, PHOTO …),
//     compared as a whole: a card has one FN, and a changed FN is one change;
//   - one item of a list property (CATEGORIES, NICKNAME), so that categories
//     behave as a set;
//   - one whole group of properties ("item1.EMAIL" + "item1.X-ABLABEL"),
//     identified by its content, not by its label;
//   - one instance of any other property (EMAIL, TEL, ADR, URL, IMPP,
//     RELATED, and every unknown or X- property).
//
// Elements are identified by their canonical text (see Hash), so cosmetic
// differences are never changes. REV and PRODID are not elements.

// IsSingleValued reports whether Merge treats the property name as
// single-valued (both sides changing it differently is a conflict) rather
// than as a set of values.
func IsSingleValued(name string) bool {
	return lookupProp(strings.ToUpper(name)).single
}

// element is a unit of comparison; see the comment at the top of the file.
type element struct {
	key   string // canonical identity
	name  string // property name(s), for reporting
	group bool   // a whole group: its label is free to change
	list  bool   // one item of a list property
	props []Property
}

// cardElements splits c into its single-valued elements (one per name, in
// order of first appearance) and the rest.
func cardElements(c *Card) (singles []*element, multis []*element) {
	if c == nil {
		return nil, nil
	}
	byName := map[string]*element{}
	byGroup := map[string]*element{}
	for i := range c.Props {
		p := normalizeProperty(c.Props[i])
		if hashIgnored(p.Name) {
			continue
		}
		switch {
		case lookupProp(p.Name).single:
			e := byName[p.Name]
			if e == nil {
				e = &element{name: p.Name}
				byName[p.Name] = e
				singles = append(singles, e)
			}
			e.props = append(e.props, p)
		case p.Group != "":
			g := strings.ToLower(p.Group)
			e := byGroup[g]
			if e == nil {
				e = &element{group: true}
				byGroup[g] = e
				multis = append(multis, e)
			}
			e.props = append(e.props, p)
		case valueKindOf(p.Name, p.Params) == kindTextList:
			for _, item := range splitEscaped(p.Value, ',') {
				q := p
				q.Value = item
				multis = append(multis, &element{key: propKey(&q), name: p.Name, list: true, props: []Property{q}})
			}
		default:
			multis = append(multis, &element{key: propKey(&p), name: p.Name, props: []Property{p}})
		}
	}
	for _, e := range singles {
		e.key = propsKey(e.props)
	}
	for _, e := range multis {
		if e.group {
			e.key = "group\n" + propsKey(e.props)
			var names []string
			for _, p := range e.props {
				names = append(names, p.Name)
			}
			slices.Sort(names)
			e.name = strings.Join(slices.Compact(names), "+")
		}
	}
	return singles, multis
}

// propsKey is the order-independent identity of several properties,
// ignoring their groups.
func propsKey(props []Property) string {
	keys := make([]string, len(props))
	for i := range props {
		keys[i] = propKey(&props[i])
	}
	slices.Sort(keys)
	return strings.Join(keys, "\n")
}

// ChangeKind says what a Change did.
type ChangeKind uint8

// The kinds of change.
const (
	Added ChangeKind = iota + 1
	Removed
	Modified
)

// String returns "added", "removed" or "modified".
func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Modified:
		return "modified"
	}
	return "unknown"
}

// A Change is one property-level difference between two cards.
type Change struct {
	Kind ChangeKind
	// Name is the property name; for a group, the names of its members
	// joined by "+" ("EMAIL+X-ABLABEL").
	Name string
	// Old holds the properties before (Removed, Modified); New after
	// (Added, Modified). For a list item, one property holding that item.
	Old, New []Property
}

// Diff lists what changed from a to b, property by property, ignoring
// everything Hash ignores. Single-valued properties change as a whole
// (Modified); other properties, groups and list items are Added or Removed.
// The result is sorted by property name; it is empty when a and b hash
// alike. A nil card is an empty one.
func Diff(a, b *Card) []Change {
	as, am := cardElements(a)
	bs, bm := cardElements(b)
	var changes []Change
	for _, name := range singleNames(as, bs) {
		ea, eb := findSingle(as, name), findSingle(bs, name)
		switch {
		case ea == nil && eb != nil:
			changes = append(changes, Change{Kind: Added, Name: name, New: eb.props})
		case ea != nil && eb == nil:
			changes = append(changes, Change{Kind: Removed, Name: name, Old: ea.props})
		case ea.key != eb.key:
			changes = append(changes, Change{Kind: Modified, Name: name, Old: ea.props, New: eb.props})
		}
	}
	ca, cb := countKeys(am), countKeys(bm)
	for _, e := range am {
		if cb[e.key] < ca[e.key] {
			ca[e.key]--
			changes = append(changes, Change{Kind: Removed, Name: e.name, Old: e.props})
		}
	}
	ca = countKeys(am)
	for _, e := range bm {
		if ca[e.key] < cb[e.key] {
			cb[e.key]--
			changes = append(changes, Change{Kind: Added, Name: e.name, New: e.props})
		}
	}
	slices.SortStableFunc(changes, func(x, y Change) int { return strings.Compare(x.Name, y.Name) })
	return changes
}

func countKeys(es []*element) map[string]int {
	m := make(map[string]int, len(es))
	for _, e := range es {
		m[e.key]++
	}
	return m
}

// singleNames returns the single-valued names present in any of the lists,
// in order of first appearance.
func singleNames(lists ...[]*element) []string {
	var names []string
	for _, l := range lists {
		for _, e := range l {
			if !slices.Contains(names, e.name) {
				names = append(names, e.name)
			}
		}
	}
	return names
}

func findSingle(es []*element, name string) *element {
	for _, e := range es {
		if e.name == name {
			return e
		}
	}
	return nil
}
