package graphtest

import (
	"cmp"
	"strconv"
	"strings"
	"unicode"
)

// The $filter language, the part Outlook resources take: comparisons (eq,
// ne, gt, ge, lt, le), and, or, not, parentheses, startswith, endswith,
// contains, and lambda any() over collections, notably
// singleValueExtendedProperties/any(ep: ep/id eq '…' and ep/value eq '…').
type node any

type binNode struct {
	op   string
	l, r node
}

type notNode struct{ x node }

type callNode struct {
	fn   string
	args []node
}

type pathNode struct{ parts []string }

type litNode struct{ v any } // string, float64, bool or nil

type anyNode struct {
	coll []string // path of the collection
	v    string   // lambda variable; "" for any()
	body node
}

type token struct {
	kind byte // 'i' identifier, 's' string, 'n' number, or the punctuation itself
	text string
}

func tokenize(s string) ([]token, bool) {
	var out []token
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case strings.ContainsRune("()/,:", r):
			out = append(out, token{byte(r), string(r)})
			i++
		case r == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(rs) {
					return nil, false
				}
				if rs[i] == '\'' {
					if i+1 < len(rs) && rs[i+1] == '\'' {
						b.WriteRune('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteRune(rs[i])
				i++
			}
			out = append(out, token{'s', b.String()})
		case unicode.IsDigit(r) || r == '-':
			j := i + 1
			for j < len(rs) && (unicode.IsDigit(rs[j]) || strings.ContainsRune(".-:TZ+", rs[j])) {
				j++
			}
			text := string(rs[i:j])
			if _, err := strconv.ParseFloat(text, 64); err == nil {
				out = append(out, token{'n', text})
			} else {
				out = append(out, token{'s', text}) // a date or DateTimeOffset literal
			}
			i = j
		case unicode.IsLetter(r) || r == '_' || r == '@' || r == '$':
			j := i + 1
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || strings.ContainsRune("_.@$", rs[j])) {
				j++
			}
			out = append(out, token{'i', string(rs[i:j])})
			i = j
		default:
			return nil, false
		}
	}
	return out, true
}

type parser struct {
	toks []token
	pos  int
	bad  bool
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	} else {
		p.bad = true
	}
	return t
}

func (p *parser) expect(kind byte) {
	if p.next().kind != kind {
		p.bad = true
	}
}

func (p *parser) keyword(words ...string) (string, bool) {
	t := p.peek()
	if t.kind != 'i' {
		return "", false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			p.pos++
			return w, true
		}
	}
	return "", false
}

// parseFilter parses a $filter expression; anything outside the language
// above is 400 ErrorInvalidUrlQueryFilter.
func parseFilter(s string) (node, *graphError) {
	toks, ok := tokenize(s)
	if !ok || len(toks) == 0 {
		return nil, errInvalidFilter()
	}
	p := &parser{toks: toks}
	n := p.or()
	if p.bad || p.pos != len(p.toks) {
		return nil, errInvalidFilter()
	}
	if !checkLambdas(n) {
		return nil, errInvalidFilter()
	}
	return n, nil
}

func (p *parser) or() node {
	l := p.and()
	for !p.bad {
		if _, ok := p.keyword("or"); !ok {
			break
		}
		l = &binNode{"or", l, p.and()}
	}
	return l
}

func (p *parser) and() node {
	l := p.not()
	for !p.bad {
		if _, ok := p.keyword("and"); !ok {
			break
		}
		l = &binNode{"and", l, p.not()}
	}
	return l
}

func (p *parser) not() node {
	if _, ok := p.keyword("not"); ok {
		return &notNode{p.not()}
	}
	l := p.primary()
	if op, ok := p.keyword("eq", "ne", "gt", "ge", "lt", "le"); ok {
		return &binNode{op, l, p.primary()}
	}
	return l
}

func (p *parser) primary() node {
	t := p.next()
	switch t.kind {
	case '(':
		n := p.or()
		p.expect(')')
		return n
	case 's':
		return &litNode{t.text}
	case 'n':
		f, _ := strconv.ParseFloat(t.text, 64)
		return &litNode{f}
	case 'i':
	default:
		p.bad = true
		return nil
	}
	switch strings.ToLower(t.text) {
	case "true":
		return &litNode{true}
	case "false":
		return &litNode{false}
	case "null":
		return &litNode{nil}
	}
	if p.peek().kind == '(' {
		fn := strings.ToLower(t.text)
		if fn != "startswith" && fn != "endswith" && fn != "contains" {
			p.bad = true
			return nil
		}
		p.next()
		a := p.or()
		p.expect(',')
		b := p.or()
		p.expect(')')
		return &callNode{fn, []node{a, b}}
	}
	parts := []string{t.text}
	for p.peek().kind == '/' {
		p.next()
		seg := p.next()
		if seg.kind != 'i' {
			p.bad = true
			return nil
		}
		if (eq(seg.text, "any") || eq(seg.text, "all")) && p.peek().kind == '(' {
			if eq(seg.text, "all") {
				p.bad = true
				return nil
			}
			p.next()
			a := &anyNode{coll: parts}
			if p.peek().kind != ')' {
				v := p.next()
				p.expect(':')
				a.v, a.body = v.text, p.or()
			}
			p.expect(')')
			return a
		}
		parts = append(parts, seg.text)
	}
	return &pathNode{parts}
}

// checkLambdas enforces the documented shape of extended-property filters:
// inside singleValueExtendedProperties/any(ep: …) an eq on ep/id is
// required.
func checkLambdas(n node) bool {
	switch n := n.(type) {
	case *binNode:
		return checkLambdas(n.l) && checkLambdas(n.r)
	case *notNode:
		return checkLambdas(n.x)
	case *callNode:
		return checkLambdas(n.args[0]) && checkLambdas(n.args[1])
	case *anyNode:
		if len(n.coll) == 1 && eq(n.coll[0], "singleValueExtendedProperties") {
			if n.body == nil || !hasIDConjunct(n.body, n.v) {
				return false
			}
		}
		return n.body == nil || checkLambdas(n.body)
	}
	return true
}

func hasIDConjunct(n node, v string) bool {
	b, ok := n.(*binNode)
	if !ok {
		return false
	}
	switch b.op {
	case "and":
		return hasIDConjunct(b.l, v) || hasIDConjunct(b.r, v)
	case "eq":
		p, ok := b.l.(*pathNode)
		lit, ok2 := b.r.(*litNode)
		if !ok || !ok2 || len(p.parts) != 2 || p.parts[0] != v || !eq(p.parts[1], "id") {
			return false
		}
		s, ok := lit.v.(string)
		if !ok {
			return false
		}
		_, _, ok = extKey(s)
		return ok
	}
	return false
}

// A resolver gives the value of a top-level property of the item being
// filtered: a string, bool, nil, []string, []EmailAddress,
// []ExtendedProperty or PhysicalAddress.
type resolver func(name string) (any, bool)

// extID marks a string that is an extended property id, compared by
// extKey rather than as text.
type extID string

// eval evaluates a filter on one item. vars binds lambda variables.
func eval(n node, res resolver, vars map[string]any) (any, bool) {
	switch n := n.(type) {
	case *litNode:
		return n.v, true
	case *pathNode:
		return lookupPath(n.parts, res, vars)
	case *notNode:
		v, ok := eval(n.x, res, vars)
		b, isBool := v.(bool)
		return !b, ok && isBool
	case *callNode:
		a, ok1 := eval(n.args[0], res, vars)
		b, ok2 := eval(n.args[1], res, vars)
		as, bs := asString(a), asString(b)
		if !ok1 || !ok2 {
			return false, false
		}
		as, bs = strings.ToLower(as), strings.ToLower(bs)
		switch n.fn {
		case "startswith":
			return strings.HasPrefix(as, bs), true
		case "endswith":
			return strings.HasSuffix(as, bs), true
		default:
			return strings.Contains(as, bs), true
		}
	case *anyNode:
		coll, ok := lookupPath(n.coll, res, vars)
		if !ok {
			return false, false
		}
		var elems []any
		switch c := coll.(type) {
		case []string:
			for _, e := range c {
				elems = append(elems, e)
			}
		case []EmailAddress:
			for _, e := range c {
				elems = append(elems, e)
			}
		case []ExtendedProperty:
			for _, e := range c {
				elems = append(elems, e)
			}
		default:
			return false, false
		}
		if n.body == nil {
			return len(elems) > 0, true
		}
		for _, e := range elems {
			inner := map[string]any{}
			for k, v := range vars {
				inner[k] = v
			}
			inner[n.v] = e
			v, ok := eval(n.body, res, inner)
			if !ok {
				return false, false
			}
			if b, _ := v.(bool); b {
				return true, true
			}
		}
		return false, true
	case *binNode:
		l, ok1 := eval(n.l, res, vars)
		r, ok2 := eval(n.r, res, vars)
		if !ok1 || !ok2 {
			return false, false
		}
		switch n.op {
		case "and", "or":
			lb, ok1 := l.(bool)
			rb, ok2 := r.(bool)
			if n.op == "and" {
				return lb && rb, ok1 && ok2
			}
			return lb || rb, ok1 && ok2
		}
		return compare(n.op, l, r)
	}
	return false, false
}

func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case extID:
		return string(v)
	}
	return ""
}

// compare applies a comparison; string comparisons ignore case, as
// Exchange's do, except extended property ids, compared by extKey.
func compare(op string, l, r any) (any, bool) {
	if li, ok := l.(extID); ok {
		lk, _, _ := extKey(string(li))
		rk, _, _ := extKey(asString(r))
		switch op {
		case "eq":
			return lk == rk, true
		case "ne":
			return lk != rk, true
		}
		return false, false
	}
	var c int
	switch lv := l.(type) {
	case nil:
		c = cmpNull(r)
	case string:
		rv, ok := r.(string)
		if !ok {
			if r == nil {
				c = 1
				break
			}
			return false, false
		}
		c = strings.Compare(strings.ToLower(lv), strings.ToLower(rv))
	case float64:
		rv, ok := r.(float64)
		if !ok {
			return false, false
		}
		c = cmp.Compare(lv, rv)
	case bool:
		rv, ok := r.(bool)
		if !ok || (op != "eq" && op != "ne") {
			return false, false
		}
		if lv != rv {
			c = 1
		}
	default:
		return false, false
	}
	switch op {
	case "eq":
		return c == 0, true
	case "ne":
		return c != 0, true
	case "gt":
		return c > 0, true
	case "ge":
		return c >= 0, true
	case "lt":
		return c < 0, true
	case "le":
		return c <= 0, true
	}
	return false, false
}

func cmpNull(r any) int {
	if r == nil {
		return 0
	}
	return -1
}

// lookupPath resolves a property path: a lambda variable and its
// members, or a property of the item and, for addresses, its members.
func lookupPath(parts []string, res resolver, vars map[string]any) (any, bool) {
	var cur any
	if v, ok := vars[parts[0]]; ok {
		cur = v
	} else {
		v, ok := res(parts[0])
		if !ok {
			return nil, false
		}
		cur = v
	}
	for _, part := range parts[1:] {
		switch c := cur.(type) {
		case ExtendedProperty:
			switch {
			case eq(part, "id"):
				cur = extID(c.ID)
			case eq(part, "value"):
				cur = c.Value
			default:
				return nil, false
			}
		case EmailAddress:
			switch {
			case eq(part, "address"):
				cur = emptyNil(c.Address)
			case eq(part, "name"):
				cur = emptyNil(c.Name)
			default:
				return nil, false
			}
		case PhysicalAddress:
			m := map[string]string{"street": c.Street, "city": c.City, "state": c.State, "postalcode": c.PostalCode, "countryorregion": c.CountryOrRegion}
			v, ok := m[strings.ToLower(part)]
			if !ok {
				return nil, false
			}
			cur = emptyNil(v)
		default:
			return nil, false
		}
	}
	return cur, true
}

func emptyNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// matches reports whether an item passes the filter; a filter that does
// not evaluate to a boolean (a type mismatch, an unknown property) is an
// error, as at Graph.
func matches(f node, res resolver) (bool, *graphError) {
	if f == nil {
		return true, nil
	}
	v, ok := eval(f, res, map[string]any{})
	b, isBool := v.(bool)
	if !ok || !isBool {
		return false, errInvalidFilter()
	}
	return b, nil
}

// contactResolver resolves the properties of a stored contact version.
func contactResolver(v *version, id string) resolver {
	defs := contactProps()
	return func(name string) (any, bool) {
		switch {
		case eq(name, "id"):
			return id, true
		case eq(name, "parentFolderId"):
			return v.folder, true
		case eq(name, "changeKey"):
			return v.changeKey, true
		case eq(name, "createdDateTime"):
			return v.created.UTC().Format(timeFormat), true
		case eq(name, "lastModifiedDateTime"):
			return v.modified.UTC().Format(timeFormat), true
		case eq(name, "singleValueExtendedProperties"):
			return v.data.SingleValueExtendedProperties, true
		}
		for _, d := range defs {
			if !eq(d.name, name) {
				continue
			}
			switch p := d.ptr(v.data).(type) {
			case *string:
				return emptyNil(*p), true
			case *[]string:
				return *p, true
			case *[]EmailAddress:
				return *p, true
			case *PhysicalAddress:
				return *p, true
			}
		}
		return nil, false
	}
}

// fieldsResolver resolves the string fields of a simple resource.
func fieldsResolver(fields map[string]string) resolver {
	return func(name string) (any, bool) {
		for k, v := range fields {
			if eq(k, name) {
				return emptyNil(v), true
			}
		}
		return nil, false
	}
}
