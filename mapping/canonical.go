package mapping

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"
)

// hashDomain versions the hash input, so that a change of the rules below
// can never be mistaken for a change of content.
const hashDomain = "contactbridge vcard hash 1\n"

// Hash returns the canonical hash of c, the bridge's test for "did this
// contact change". It is SHA-256 over the sorted canonical lines of the
// card's properties, so it ignores:
//
//   - REV and PRODID (servers rewrite them), and the vCard version: a 3.0
//     card and its 4.0 conversion hash alike;
//   - property order, parameter order, folding, line endings and escapes
//     that mean the same ("\:" or ";" where no escape is needed);
//   - the case of property, parameter and group names and of the values of
//     case-insensitive parameters (TYPE, VALUE, MEDIATYPE, LANGUAGE,
//     CALSCALE);
//   - the order of CATEGORIES and NICKNAME items;
//   - group labels: groups are renamed by their content, so a server that
//     renumbers item1, item2 … does not change the hash.
//
// Which properties share a group does count: "item1.EMAIL" with
// "item1.X-ABLABEL:work" is a labelled address, and moving the label to
// another address is a real change. So does every value, parameter value
// and every added or removed property.
func (c *Card) Hash() [32]byte {
	type span struct {
		start, end int
		group      string // lower case, "" for none
	}
	size := 0
	for i := range c.Props {
		size += len(c.Props[i].Name) + len(c.Props[i].Value) + 24
	}
	buf := make([]byte, 0, size)
	spans := make([]span, 0, len(c.Props))
	grouped := false
	for i := range c.Props {
		p := normalizeProperty(c.Props[i])
		if hashIgnored(p.Name) {
			continue
		}
		start := len(buf)
		buf = appendPropKey(buf, &p)
		sp := span{start: start, end: len(buf)}
		if p.Group != "" {
			sp.group = strings.ToLower(p.Group)
			grouped = true
		}
		spans = append(spans, sp)
	}
	if grouped {
		// Rare path: prefix each grouped key with its content label.
		groups := make(map[string][]string)
		for _, sp := range spans {
			if sp.group != "" {
				groups[sp.group] = append(groups[sp.group], string(buf[sp.start:sp.end]))
			}
		}
		labels := groupLabels(groups)
		for i, sp := range spans {
			if sp.group == "" {
				continue
			}
			start := len(buf)
			buf = append(buf, labels[sp.group]...)
			buf = append(buf, '.')
			buf = append(buf, buf[sp.start:sp.end]...)
			spans[i] = span{start: start, end: len(buf)}
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return bytes.Compare(buf[a.start:a.end], buf[b.start:b.end]) })
	h := sha256.New()
	h.Write([]byte(hashDomain))
	for _, sp := range spans {
		// The newline after each key sits in buf when the next key follows
		// directly; writing it separately keeps this simple and cheap.
		h.Write(buf[sp.start:sp.end])
		h.Write(newline)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

var newline = []byte{'\n'}

// Equal reports whether a and b have the same canonical hash.
func Equal(a, b *Card) bool {
	return a.Hash() == b.Hash()
}

// hashIgnored names the properties the hash, diff and merge leave out.
func hashIgnored(name string) bool {
	switch name {
	case "REV", "PRODID", "VERSION", "BEGIN", "END":
		return true
	}
	return false
}

// groupLabels names each group after its content: groups are sorted by the
// sorted keys of their members and numbered in that order. Groups with equal
// content are interchangeable, so their relative numbering does not matter.
func groupLabels(groups map[string][]string) map[string]string {
	type sig struct{ name, content string }
	sigs := make([]sig, 0, len(groups))
	for g, members := range groups {
		slices.Sort(members)
		sigs = append(sigs, sig{g, strings.Join(members, "\n")})
	}
	slices.SortFunc(sigs, func(a, b sig) int {
		if c := strings.Compare(a.content, b.content); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	labels := make(map[string]string, len(sigs))
	for i, s := range sigs {
		labels[s.name] = "g" + strconv.Itoa(i+1)
	}
	return labels
}

// propKey is the canonical text of a normalised property without its group:
// the content line as Marshal writes it for 4.0, with case-insensitive
// parameter values in lower case and list items sorted.
func propKey(p *Property) string {
	return string(appendPropKey(make([]byte, 0, len(p.Name)+len(p.Value)+24), p))
}

// appendPropKey appends the text of propKey to b.
func appendPropKey(b []byte, p *Property) []byte {
	b = append(b, p.Name...)
	for _, q := range p.Params {
		b = append(b, ';')
		b = append(b, q.Name...)
		b = append(b, '=')
		fold := caseInsensitiveParam(q.Name)
		for j, v := range q.Values {
			if j > 0 {
				b = append(b, ',')
			}
			if fold {
				v = strings.ToLower(v)
			}
			b = appendParamValue(b, v)
		}
	}
	b = append(b, ':')
	if valueKindOf(p.Name, p.Params) == kindTextList && strings.IndexByte(p.Value, ',') >= 0 {
		items := splitEscaped(p.Value, ',')
		slices.Sort(items)
		b = append(b, strings.Join(items, ",")...)
	} else {
		b = append(b, p.Value...)
	}
	return b
}

func caseInsensitiveParam(name string) bool {
	switch name {
	case "TYPE", "VALUE", "MEDIATYPE", "LANGUAGE", "CALSCALE", "ENCODING":
		return true
	}
	return false
}

// PropertyKey is the canonical text of p, its group left out: two
// properties with the same key say the same (as Hash sees them).
func PropertyKey(p Property) string {
	n := normalizeProperty(p)
	return propKey(&n)
}
