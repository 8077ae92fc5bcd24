package mapping

import (
	"strings"
)

// Version names a vCard format version.
type Version string

// The vCard versions the package reads; Marshal writes Version30 and
// Version40 only.
const (
	Version21 Version = "2.1"
	Version30 Version = "3.0"
	Version40 Version = "4.0"
)

// A Card is one contact: the properties of one vCard, held with vCard 4.0
// semantics whatever version it was read from.
//
// Cards returned by Parse and ParseAll are normalised (see Normalize); code
// that builds or edits a Card should use the setters below, or call Normalize
// before relying on Props being canonical. Marshal and Hash accept any Card.
type Card struct {
	// Version is the VERSION the card was read from ("2.1", "3.0", "4.0"),
	// or "" when the input had none or the card was built in code. It only
	// informs callers (a connector keeps the version a remote item already
	// has); Marshal and Hash ignore it.
	Version Version

	// Props holds every property except BEGIN, END and VERSION, in the
	// order they were read.
	Props []Property
}

// A Property is one content line of a vCard.
type Property struct {
	// Group is the group prefix without its dot ("item1" for item1.EMAIL),
	// or "". Case is kept as written; groups compare case-insensitively.
	Group string

	// Name is the property name in upper case ("EMAIL", "X-ABLABEL").
	Name string

	// Params holds the parameters, names in upper case, values decoded
	// (no quotes, RFC 6868 ^-escapes resolved).
	Params []Param

	// Value is the value exactly as a vCard 4.0 content line carries it:
	// unfolded, UTF-8, and still backslash-escaped, because only the
	// escapes tell a separator from a literal ";" or "," in N, ADR, ORG and
	// CATEGORIES. Read it with Text, Components or List; write it with
	// SetText, SetComponents or SetList.
	Value string
}

// A Param is one property parameter with all its values.
type Param struct {
	// Name is the parameter name in upper case ("TYPE").
	Name string
	// Values holds the values in order; TYPE values are lower case after
	// normalisation.
	Values []string
}

// Get returns the first property called name (case-insensitive), or nil.
func (c *Card) Get(name string) *Property {
	for i := range c.Props {
		if strings.EqualFold(c.Props[i].Name, name) {
			return &c.Props[i]
		}
	}
	return nil
}

// All returns every property called name (case-insensitive), in order. The
// pointers refer into c.Props and are valid until Props is next changed.
func (c *Card) All(name string) []*Property {
	var out []*Property
	for i := range c.Props {
		if strings.EqualFold(c.Props[i].Name, name) {
			out = append(out, &c.Props[i])
		}
	}
	return out
}

// Value returns the decoded text of the first property called name, or "".
func (c *Card) Value(name string) string {
	if p := c.Get(name); p != nil {
		return p.Text()
	}
	return ""
}

// Add appends p, normalised, to the card.
func (c *Card) Add(p Property) {
	c.Props = append(c.Props, normalizeProperty(p))
}

// Remove deletes every property called name (case-insensitive) and reports
// how many it removed.
func (c *Card) Remove(name string) int {
	kept := c.Props[:0]
	for _, p := range c.Props {
		if !strings.EqualFold(p.Name, name) {
			kept = append(kept, p)
		}
	}
	n := len(c.Props) - len(kept)
	clear(c.Props[len(kept):])
	c.Props = kept
	return n
}

// Clone returns a deep copy of c.
func (c *Card) Clone() *Card {
	out := &Card{Version: c.Version, Props: make([]Property, len(c.Props))}
	for i, p := range c.Props {
		out.Props[i] = p.clone()
	}
	return out
}

// Normalize rewrites every property into the canonical form Parse produces:
// upper-case names, parameters merged and sorted, TYPE values lower case and
// sorted, TYPE=pref as PREF=1, values escaped canonically for their kind.
// It is idempotent.
func (c *Card) Normalize() {
	for i, p := range c.Props {
		c.Props[i] = normalizeProperty(p)
	}
}

func (p Property) clone() Property {
	if p.Params != nil {
		ps := make([]Param, len(p.Params))
		for i, q := range p.Params {
			ps[i] = Param{Name: q.Name, Values: append([]string(nil), q.Values...)}
		}
		p.Params = ps
	}
	return p
}

// Param returns the first value of the parameter name (case-insensitive), or "".
func (p *Property) Param(name string) string {
	return paramValue(p.Params, name)
}

// ParamValues returns all values of the parameter name (case-insensitive).
func (p *Property) ParamValues(name string) []string {
	for _, q := range p.Params {
		if strings.EqualFold(q.Name, name) {
			return q.Values
		}
	}
	return nil
}

// SetParam replaces the parameter name with values; with no values it
// removes the parameter.
func (p *Property) SetParam(name string, values ...string) {
	name = strings.ToUpper(name)
	ps := make([]Param, 0, len(p.Params)+1)
	for _, q := range p.Params {
		if q.Name != name {
			ps = append(ps, q)
		}
	}
	if len(values) > 0 {
		ps = append(ps, Param{Name: name, Values: append([]string(nil), values...)})
	}
	p.Params = ps
}

// Types returns the TYPE parameter values in lower case.
func (p *Property) Types() []string {
	vs := p.ParamValues("TYPE")
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	return out
}

// HasType reports whether the TYPE parameter contains t (case-insensitive).
func (p *Property) HasType(t string) bool {
	for _, v := range p.ParamValues("TYPE") {
		if strings.EqualFold(v, t) {
			return true
		}
	}
	return false
}

// Text returns the value with every escape resolved: what a user reads in
// FN, NOTE or EMAIL. For structured values the separators are resolved too;
// use Components or List to keep them apart.
func (p *Property) Text() string {
	return UnescapeText(p.Value)
}

// Components splits a structured value (N, ADR, ORG, GENDER) at unescaped
// semicolons and unescapes each component. A component that is itself a list
// (N's additional names) comes back joined by commas.
func (p *Property) Components() []string {
	parts := splitEscaped(p.Value, ';')
	for i, s := range parts {
		parts[i] = UnescapeText(s)
	}
	return parts
}

// List splits a list value (CATEGORIES, NICKNAME) at unescaped commas and
// unescapes each item.
func (p *Property) List() []string {
	parts := splitEscaped(p.Value, ',')
	for i, s := range parts {
		parts[i] = UnescapeText(s)
	}
	return parts
}

// SetText sets a single text value; s is escaped as needed.
func (p *Property) SetText(s string) {
	kind := p.kind()
	if kind == kindURI {
		p.Value = canonicalValue(strings.ReplaceAll(s, `\`, `\\`), kindURI)
		return
	}
	p.Value = canonicalValue(EscapeText(s), kind)
}

// kind is the value kind of p, tolerating a lower-case name.
func (p *Property) kind() valueKind {
	return valueKindOf(strings.ToUpper(p.Name), p.Params)
}

// SetComponents sets a structured value from its unescaped components.
func (p *Property) SetComponents(components ...string) {
	var b strings.Builder
	for i, s := range components {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(EscapeText(s))
	}
	p.Value = canonicalValue(b.String(), p.kind())
}

// SetList sets a list value from its unescaped items.
func (p *Property) SetList(items ...string) {
	var b strings.Builder
	for i, s := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(EscapeText(s))
	}
	p.Value = canonicalValue(b.String(), p.kind())
}

// paramValue returns the first value of the parameter name, or "".
func paramValue(params []Param, name string) string {
	for _, q := range params {
		if strings.EqualFold(q.Name, name) && len(q.Values) > 0 {
			return q.Values[0]
		}
	}
	return ""
}
