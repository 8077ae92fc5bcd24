package mapping

import (
	"fmt"
	"slices"
	"strings"
)

// Marshal writes c as a vCard of version v (Version40 or Version30), in
// canonical form: CRLF line ends, lines folded at 75 octets without
// splitting a UTF-8 sequence, values escaped for their kind, parameter values
// quoted when they hold ':', ';' or ',', properties in a fixed order.
//
// Version40 is the hub's form. Version30 undoes the conversions Parse made,
// for remotes that speak 3.0: data: URIs in PHOTO, LOGO, SOUND and KEY become
// ENCODING=b with TYPE=JPEG and the like, PREF=1 becomes TYPE=pref, a geo:
// URI becomes "lat;lon". Reading that 3.0 text back gives the same card, so
// both forms hash alike.
func (c *Card) Marshal(v Version) ([]byte, error) {
	return c.AppendMarshal(nil, v)
}

// AppendMarshal is Marshal appending to dst.
func (c *Card) AppendMarshal(dst []byte, v Version) ([]byte, error) {
	if v != Version40 && v != Version30 {
		return dst, fmt.Errorf("vcard: marshal %q: %w", v, ErrUnsupportedVersion)
	}
	size := 64
	for i := range c.Props {
		size += len(c.Props[i].Value) + len(c.Props[i].Name) + 16
	}
	dst = slices.Grow(dst, size+size/64*3)
	dst = append(dst, "BEGIN:VCARD\r\nVERSION:"...)
	dst = append(dst, v...)
	dst = append(dst, "\r\n"...)
	order := writeOrder(c.Props)
	line := make([]byte, 0, 256)
	for _, i := range order {
		p := normalizeProperty(c.Props[i])
		switch p.Name {
		case "BEGIN", "END", "VERSION":
			continue
		}
		if err := checkNames(&p); err != nil {
			return dst, fmt.Errorf("vcard: marshal property %d: %w", i, err)
		}
		if v == Version30 {
			p = toVersion30(p)
		}
		line = appendContentLine(line[:0], &p)
		dst = appendFolded(dst, line)
	}
	return append(dst, "END:VCARD\r\n"...), nil
}

// writeOrder returns the indexes of props in written order: by rank, then
// by name, and in card order for equal names (stable).
func writeOrder(props []Property) []int {
	type entry struct {
		rank int
		name string
		i    int
	}
	entries := make([]entry, len(props))
	sorted := true
	for i := range props {
		name := strings.ToUpper(props[i].Name)
		entries[i] = entry{lookupProp(name).rank, name, i}
		if i > 0 && compareEntries(entries[i-1].rank, entries[i-1].name, entries[i].rank, name) > 0 {
			sorted = false
		}
	}
	if !sorted {
		slices.SortStableFunc(entries, func(a, b entry) int { return compareEntries(a.rank, a.name, b.rank, b.name) })
	}
	order := make([]int, len(entries))
	for j, e := range entries {
		order[j] = e.i
	}
	return order
}

func compareEntries(ra int, na string, rb int, nb string) int {
	if ra != rb {
		return ra - rb
	}
	return strings.Compare(na, nb)
}

// checkNames rejects names a content line cannot carry.
func checkNames(p *Property) error {
	if p.Name == "" {
		return fmt.Errorf("empty property name: %w", ErrMalformed)
	}
	for i := 0; i < len(p.Name); i++ {
		if !isNameByte(p.Name[i]) {
			return fmt.Errorf("invalid property name: %w", ErrMalformed)
		}
	}
	for i := 0; i < len(p.Group); i++ {
		if !isNameByte(p.Group[i]) {
			return fmt.Errorf("%s: invalid group name: %w", p.Name, ErrMalformed)
		}
	}
	for _, q := range p.Params {
		if q.Name == "" {
			return fmt.Errorf("%s: empty parameter name: %w", p.Name, ErrMalformed)
		}
		for i := 0; i < len(q.Name); i++ {
			if !isNameByte(q.Name[i]) && q.Name[i] != '_' {
				return fmt.Errorf("%s: invalid parameter name: %w", p.Name, ErrMalformed)
			}
		}
	}
	return nil
}

// appendContentLine writes one unfolded content line without its CRLF.
func appendContentLine(b []byte, p *Property) []byte {
	if p.Group != "" {
		b = append(b, p.Group...)
		b = append(b, '.')
	}
	b = append(b, p.Name...)
	b = appendParams(b, p.Params)
	b = append(b, ':')
	return append(b, p.Value...)
}

func appendParams(b []byte, params []Param) []byte {
	for _, q := range params {
		b = append(b, ';')
		b = append(b, q.Name...)
		b = append(b, '=')
		for j, v := range q.Values {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendParamValue(b, v)
		}
	}
	return b
}

// appendParamValue writes a parameter value with RFC 6868 escapes (^^, ^n,
// ^'), quoted when it holds a character that would end it.
func appendParamValue(b []byte, v string) []byte {
	quote := strings.ContainsAny(v, ":;,")
	if quote {
		b = append(b, '"')
	}
	if strings.ContainsAny(v, "^\n\r\"") {
		for i := 0; i < len(v); i++ {
			switch c := v[i]; c {
			case '^':
				b = append(b, '^', '^')
			case '"':
				b = append(b, '^', '\'')
			case '\r':
				if i+1 < len(v) && v[i+1] == '\n' {
					i++
				}
				b = append(b, '^', 'n')
			case '\n':
				b = append(b, '^', 'n')
			default:
				b = append(b, c)
			}
		}
	} else {
		b = append(b, v...)
	}
	if quote {
		b = append(b, '"')
	}
	return b
}

// appendFolded appends line and CRLF, folding after at most 75 octets per
// physical line (the leading space of a continuation counts) and never
// inside a UTF-8 sequence.
func appendFolded(dst, line []byte) []byte {
	const limit = 75
	room := limit
	for len(line) > room {
		cut := room
		for cut > 1 && line[cut]&0xC0 == 0x80 {
			cut--
		}
		dst = append(dst, line[:cut]...)
		dst = append(dst, '\r', '\n', ' ')
		line = line[cut:]
		room = limit - 1
	}
	dst = append(dst, line...)
	return append(dst, '\r', '\n')
}

// toVersion30 rewrites a canonical 4.0 property for a 3.0 card. It undoes
// exactly what normalizeProperty does for legacy input.
func toVersion30(p Property) Property {
	var (
		params   = make([]Param, 0, len(p.Params)+2)
		types    []string
		front    string
		prefType bool
		hasValue bool
	)
	for _, q := range p.Params {
		switch q.Name {
		case "PREF":
			if len(q.Values) == 1 && q.Values[0] == "1" {
				prefType = true
				continue
			}
		case "TYPE":
			types = q.Values
			continue
		case "VALUE":
			hasValue = true
		}
		params = append(params, q)
	}
	if isMediaProperty(p.Name) && !hasValue {
		if payload, sub, ok := splitDataURI(p.Value, mediaTop(p.Name)); ok && !slices.Contains(types, sub) {
			p.Value = payload
			front = strings.ToUpper(sub)
			params = append(params, Param{Name: "ENCODING", Values: []string{"b"}})
		} else {
			params = append(params, Param{Name: "VALUE", Values: []string{"uri"}})
		}
	}
	if p.Name == "GEO" && len(p.Params) == 0 {
		if v, ok := geoToLegacy(p.Value); ok {
			p.Value = v
		}
	}
	if front != "" || prefType || len(types) > 0 {
		all := make([]string, 0, len(types)+2)
		if front != "" {
			all = append(all, front)
		}
		all = append(all, types...)
		if prefType {
			all = append(all, "pref")
		}
		params = append(params, Param{Name: "TYPE", Values: all})
	}
	slices.SortStableFunc(params, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	p.Params = params
	return p
}

// splitDataURI splits "data:top/sub;base64,payload" when the 3.0 form
// ENCODING=b;TYPE=SUB carries the same information, so that reading the 3.0
// form back rebuilds exactly this URI.
func splitDataURI(v, top string) (payload, sub string, ok bool) {
	rest, ok := strings.CutPrefix(v, "data:"+top+"/")
	if !ok {
		return "", "", false
	}
	sub, payload, ok = strings.Cut(rest, ";base64,")
	if !ok || sub == "" || sub == "jpg" || sub == "work" || sub == "home" || sub == "pref" {
		return "", "", false
	}
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.') {
			return "", "", false
		}
	}
	for i := 0; i < len(payload); i++ {
		c := payload[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return "", "", false
		}
	}
	return payload, sub, true
}
