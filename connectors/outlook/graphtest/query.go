package graphtest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryOptions are the OData system query options of a read.
type queryOptions struct {
	sel     selection
	exp     expansion
	filter  node // nil: none
	orderBy []orderKey
	top     int // 0: not given
	skip    int
	count   bool
}

// A selection is the $select list; nil selects every property.
type selection map[string]bool

func (s selection) keep(name string) bool { return s == nil || s[name] }

type orderKey struct {
	prop string
	desc bool
}

// expansion is what $expand asked for: the single-value extended
// properties whose ids match (extKey form), all of them with ids nil.
type expansion struct {
	ext bool
	ids []string
}

func errNoQueryProperty(name, typ string) *graphError {
	return newError(http.StatusBadRequest, "RequestBroker--ParseUri", "Could not find a property named '"+name+"' on type 'microsoft.graph."+typ+"'.")
}

// parseQuery reads the system query options allowed reads take. allowed
// lists the ones this endpoint accepts besides $select; any other $ option
// is refused, as OData refuses options an endpoint does not support.
func (s *Server) parseQuery(q url.Values, typ string, allowed ...string) (queryOptions, *graphError) {
	var o queryOptions
	for _, k := range sortedKeys(q) {
		if !strings.HasPrefix(k, "$") {
			continue
		}
		v := q.Get(k)
		name := strings.ToLower(k)
		if name != "$select" && !slices.Contains(allowed, name) {
			if name == "$search" {
				return o, errNotImplemented("$search")
			}
			return o, errBadRequest("The query parameter '%s' is not supported.", k)
		}
		var err *graphError
		switch name {
		case "$select":
			o.sel, err = parseSelect(v, typ)
		case "$expand":
			o.exp, err = s.parseExpand(v)
		case "$filter":
			o.filter, err = parseFilter(v)
		case "$orderby":
			o.orderBy, err = parseOrderBy(v, typ)
		case "$top":
			o.top, err = parseCount(k, v, 1, maxPageSize)
		case "$skip":
			o.skip, err = parseCount(k, v, 0, 1<<31-1)
		case "$count":
			switch strings.ToLower(v) {
			case "true":
				o.count = true
			case "false":
			default:
				err = errBadRequest("Invalid value '%s' for $count; use true or false.", v)
			}
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

func parseCount(k, v string, lo, hi int) (int, *graphError) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errBadRequest("Invalid value '%s' for %s: an integer from %d to %d is expected.", v, k, lo, hi)
	}
	return n, nil
}

// propsOf lists the properties of a resource type, for $select and
// $orderby.
func propsOf(typ string) []string {
	switch typ {
	case "contact":
		names := readOnlyProps()
		for _, p := range contactProps() {
			names = append(names, p.name)
		}
		return names
	case "contactFolder":
		return []string{"id", "displayName", "parentFolderId"}
	case "outlookCategory":
		return []string{"id", "displayName", "color"}
	}
	return nil
}

// canonicalProp finds name among typ's properties, case-insensitively.
func canonicalProp(name, typ string) (string, bool) {
	for _, p := range propsOf(typ) {
		if strings.EqualFold(p, name) {
			return p, true
		}
	}
	return "", false
}

func parseSelect(v, typ string) (selection, *graphError) {
	sel := selection{}
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, ok := canonicalProp(f, typ)
		if !ok {
			return nil, errNoQueryProperty(f, typ)
		}
		sel[p] = true
	}
	return sel, nil
}

func parseOrderBy(v, typ string) ([]orderKey, *graphError) {
	var out []orderKey
	for f := range strings.SplitSeq(v, ",") {
		fields := strings.Fields(f)
		if len(fields) == 0 || len(fields) > 2 {
			return nil, errBadRequest("Invalid $orderby clause '%s'.", f)
		}
		p, ok := canonicalProp(fields[0], typ)
		if !ok {
			return nil, errNoQueryProperty(fields[0], typ)
		}
		k := orderKey{prop: p}
		if len(fields) == 2 {
			switch strings.ToLower(fields[1]) {
			case "asc":
			case "desc":
				k.desc = true
			default:
				return nil, errBadRequest("Invalid $orderby direction '%s'.", fields[1])
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// parseExpand reads $expand on a contact. Single-value extended properties
// are expanded with a $filter on id, the documented way
// (learn.microsoft.com singlevaluelegacyextendedproperty-get); without one
// only with Options.ExpandAllExtendedProperties.
func (s *Server) parseExpand(v string) (expansion, *graphError) {
	var e expansion
	for _, item := range splitTop(v, ',') {
		item = strings.TrimSpace(item)
		name, opts, hasOpts := strings.Cut(item, "(")
		name = strings.TrimSpace(name)
		switch {
		case eq(name, "singleValueExtendedProperties"):
		case eq(name, "multiValueExtendedProperties") || eq(name, "extensions") || eq(name, "photo"):
			return e, errNotImplemented("$expand=" + name)
		default:
			return e, errNoQueryProperty(name, "contact")
		}
		e.ext = true
		if !hasOpts {
			if !s.opts.ExpandAllExtendedProperties {
				return e, errBadRequest("$expand=singleValueExtendedProperties needs a $filter on id, such as singleValueExtendedProperties($filter=id eq 'String {guid} Name name').")
			}
			continue
		}
		opts = strings.TrimSpace(opts)
		if !strings.HasSuffix(opts, ")") {
			return e, errBadRequest("Invalid $expand clause '%s'.", item)
		}
		k, fv, _ := strings.Cut(strings.TrimSuffix(opts, ")"), "=")
		if !eq(strings.TrimSpace(k), "$filter") {
			return e, errBadRequest("Only $filter is supported inside $expand=singleValueExtendedProperties(…).")
		}
		f, err := parseFilter(fv)
		if err != nil {
			return e, err
		}
		ids, ok := idDisjunction(f)
		if !ok {
			return e, errInvalidFilter()
		}
		e.ids = append(e.ids, ids...)
	}
	return e, nil
}

// idDisjunction reads "id eq 'x' or id eq 'y' …" into the extKeys of x, y.
func idDisjunction(n node) ([]string, bool) {
	switch n := n.(type) {
	case *binNode:
		switch n.op {
		case "or":
			l, ok1 := idDisjunction(n.l)
			r, ok2 := idDisjunction(n.r)
			return append(l, r...), ok1 && ok2
		case "eq":
			p, ok1 := n.l.(*pathNode)
			lit, ok2 := n.r.(*litNode)
			s, ok3 := lit.v.(string)
			if !ok1 || !ok2 || !ok3 || len(p.parts) != 1 || !eq(p.parts[0], "id") {
				return nil, false
			}
			k, _, ok := extKey(s)
			return []string{k}, ok
		}
	}
	return nil, false
}

// splitTop splits s at sep outside parentheses and quotes.
func splitTop(s string, sep rune) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
		case quoted:
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// sortBy orders items by the $orderby keys, stably; key gives an item's
// value of a property as a string.
func sortBy[T any](items []T, keys []orderKey, key func(T, string) string) {
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(items, func(a, b T) int {
		for _, k := range keys {
			c := strings.Compare(strings.ToLower(key(a, k.prop)), strings.ToLower(key(b, k.prop)))
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

// linkQuery renders query parameters for a link Graph emits: keys in
// order, "$" left as is, spaces as %20.
func linkQuery(q url.Values) string {
	var parts []string
	for _, k := range sortedKeys(q) {
		for _, v := range q[k] {
			parts = append(parts, strings.ReplaceAll(url.QueryEscape(k), "%24", "$")+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
		}
	}
	return strings.Join(parts, "&")
}
