package mapping

import (
	"slices"
	"strconv"
	"strings"
)

// normalizeProperty returns p in canonical vCard 4.0 form. It applies the
// 2.1/3.0 conversions to every card, whatever its VERSION says: 4.0 writers
// that use an older spelling (TYPE=pref, ENCODING=b, GEO:lat;lon) mean the
// same by it. The result shares no parameter slices with p unless they were
// already canonical, and p is not modified.
//
// The conversions are chosen so that the 3.0 writer (encode.go) undoes each
// of them exactly: 4.0 → 3.0 → 4.0 gives back the same properties.
func normalizeProperty(p Property) Property {
	return normalizeWith(p, nil)
}

// normalizeWith is normalizeProperty taking new parameter slices from a, when
// not nil, so that parsing a card does not allocate per property.
func normalizeWith(p Property, a *paramArena) Property {
	p.Name = strings.ToUpper(p.Name)
	// "lat;lon" is the 3.0 form; 4.0 writers that use it mean the same.
	if p.Name == "GEO" && len(p.Params) == 0 {
		p.Value = geoFromLegacy(p.Value)
	}
	if paramsCanonical(p.Name, p.Params) {
		if len(p.Params) == 0 {
			p.Params = nil
		}
		return finishValue(p)
	}
	var (
		out      = a.reserveParams(len(p.Params) + 1)
		types    = a.reserveValues(4)
		format   string // first TYPE value, the image format of a 2.1/3.0 PHOTO
		encoding string
		pref     bool
		hasPref  bool
		hasValue bool
	)
	for _, q := range p.Params {
		name := strings.ToUpper(q.Name)
		switch name {
		case "CHARSET":
			continue
		case "ENCODING":
			if len(q.Values) > 0 {
				encoding = strings.ToLower(strings.TrimSpace(q.Values[0]))
			}
			continue
		case "TYPE":
			for _, v := range q.Values {
				for v != "" {
					item := v
					if i := strings.IndexByte(v, ','); i >= 0 {
						item, v = v[:i], v[i+1:]
					} else {
						v = ""
					}
					item = lowerType(strings.TrimSpace(item))
					switch {
					case item == "":
					case item == "pref":
						pref = true
					case item == "internet" && p.Name == "EMAIL":
						// The 3.0 default, meaningless in 4.0.
					default:
						if format == "" && item != "work" && item != "home" {
							format = item
						}
						types = append(types, item)
					}
				}
			}
			continue
		case "PREF":
			hasPref = true
		case "VALUE":
			hasValue = true
		}
		values := q.Values
		if i := slices.IndexFunc(out, func(x Param) bool { return x.Name == name }); i >= 0 {
			out[i].Values = append(slices.Clip(out[i].Values), values...)
			continue
		}
		out = append(out, Param{Name: name, Values: values})
	}
	if pref && !hasPref {
		out = append(out, Param{Name: "PREF", Values: []string{"1"}})
	}
	binary := encoding == "b" || encoding == "base64"
	if binary && isMediaProperty(p.Name) {
		payload := stripSpace(p.Value)
		if format != "" {
			types = slices.DeleteFunc(types, func(s string) bool { return s == format })
		}
		p.Value = "data:" + mediaTypeFor(p.Name, format, payload) + ";base64," + payload
		out = slices.DeleteFunc(out, func(q Param) bool { return q.Name == "VALUE" })
		hasValue = false
	} else if binary {
		p.Value = stripSpace(p.Value)
		out = append(out, Param{Name: "ENCODING", Values: []string{"b"}})
	}
	if len(types) > 0 {
		slices.Sort(types)
		types = slices.Compact(types)
		out = append(out, Param{Name: "TYPE", Values: types})
	}
	for i := range out {
		q := &out[i]
		switch q.Name {
		case "VALUE", "MEDIATYPE":
			q.Values = lowerAll(q.Values)
			if q.Name == "VALUE" && len(q.Values) > 0 && q.Values[0] == "url" {
				q.Values = append([]string{"uri"}, q.Values[1:]...)
			}
		}
		cloned := false
		for j, v := range q.Values {
			if strings.IndexByte(v, '\r') >= 0 {
				if !cloned {
					q.Values, cloned = slices.Clone(q.Values), true
				}
				q.Values[j] = strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
			}
		}
	}
	if hasValue {
		out = slices.DeleteFunc(out, func(q Param) bool {
			return q.Name == "VALUE" && len(q.Values) == 1 && isDefaultValueType(p.Name, q.Values[0])
		})
	}
	out = slices.DeleteFunc(out, func(q Param) bool { return len(q.Values) == 0 })
	slices.SortStableFunc(out, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	if len(out) == 0 {
		out = nil
	}
	p.Params = out
	return finishValue(p)
}

// finishValue canonicalises the escaping of p's value for its kind.
func finishValue(p Property) Property {
	kind := valueKindOf(p.Name, p.Params)
	p.Value = canonicalValue(p.Value, kind)
	if kind == kindStructList {
		switch p.Name {
		case "N":
			p.Value = padComponents(p.Value, 5)
		case "ADR":
			p.Value = padComponents(p.Value, 7)
		}
	}
	return p
}

// paramsCanonical reports whether normalizeProperty would leave params as
// they are, so that parsed cards are not normalised twice.
func paramsCanonical(name string, params []Param) bool {
	prev := ""
	for _, q := range params {
		if q.Name <= prev || len(q.Values) == 0 {
			return false
		}
		prev = q.Name
		switch q.Name {
		case "CHARSET", "ENCODING":
			return false
		case "TYPE":
			if !typesCanonical(name, q.Values) {
				return false
			}
		case "VALUE":
			if len(q.Values) != 1 || isDefaultValueType(name, q.Values[0]) || q.Values[0] == "url" || hasUpper(q.Values[0]) {
				return false
			}
		case "MEDIATYPE":
			for _, v := range q.Values {
				if hasUpper(v) {
					return false
				}
			}
		default:
			for _, c := range q.Name {
				if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
					return false
				}
			}
		}
		for _, v := range q.Values {
			if strings.IndexByte(v, '\r') >= 0 {
				return false
			}
		}
	}
	return true
}

func typesCanonical(name string, types []string) bool {
	for i, t := range types {
		if t == "" || t == "pref" || hasUpper(t) || strings.IndexByte(t, ',') >= 0 ||
			strings.TrimSpace(t) != t || (i > 0 && types[i-1] >= t) ||
			(t == "internet" && name == "EMAIL") {
			return false
		}
	}
	return true
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func lowerAll(vs []string) []string {
	for _, v := range vs {
		if hasUpper(v) {
			out := make([]string, len(vs))
			for i, v := range vs {
				out[i] = strings.ToLower(v)
			}
			return out
		}
	}
	return vs
}

// isDefaultValueType reports whether VALUE=v says nothing for property name
// in vCard 4.0, so that the parameter can go.
func isDefaultValueType(name, v string) bool {
	info := lookupProp(name)
	if !info.known {
		return false
	}
	k := info.kind
	switch v {
	case "text":
		return k != kindURI
	case "uri", "url":
		return k == kindURI && !isDateProperty(name) && name != "LANG"
	case "date", "date-time", "date-and-or-time", "time":
		return name == "BDAY" || name == "ANNIVERSARY" || name == "DEATHDATE"
	case "timestamp":
		return name == "REV"
	case "language-tag":
		return name == "LANG"
	}
	return false
}

func isDateProperty(name string) bool {
	switch name {
	case "BDAY", "ANNIVERSARY", "DEATHDATE", "REV":
		return true
	}
	return false
}

// isMediaProperty reports whether name is one of the properties vCard 3.0
// inlines as ENCODING=b and vCard 4.0 as a data: URI.
func isMediaProperty(name string) bool {
	switch name {
	case "PHOTO", "LOGO", "SOUND", "KEY":
		return true
	}
	return false
}

// mediaTop is the top-level media type of a media property's content.
func mediaTop(name string) string {
	switch name {
	case "SOUND":
		return "audio"
	case "KEY":
		return "application"
	}
	return "image"
}

// mediaTypeFor picks the media type of inline data: from the 3.0 TYPE
// ("JPEG"), else by sniffing the first bytes of an image.
func mediaTypeFor(name, format, payload string) string {
	switch {
	case strings.IndexByte(format, '/') > 0:
		return format
	case format == "jpg":
		return mediaTop(name) + "/jpeg"
	case format != "":
		return mediaTop(name) + "/" + format
	}
	if mediaTop(name) == "image" {
		switch {
		case strings.HasPrefix(payload, "/9j/"):
			return "image/jpeg"
		case strings.HasPrefix(payload, "iVBORw0KGgo"):
			return "image/png"
		case strings.HasPrefix(payload, "R0lGOD"):
			return "image/gif"
		}
	}
	return "application/octet-stream"
}

// stripSpace removes the whitespace folded base64 keeps.
func stripSpace(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

// geoFromLegacy turns vCard 3.0 "lat;lon" into a 4.0 geo: URI. Anything
// else is left alone.
func geoFromLegacy(v string) string {
	lat, lon, ok := strings.Cut(v, ";")
	if !ok || !isFloat(lat) || !isFloat(lon) {
		return v
	}
	return "geo:" + lat + "," + lon
}

// geoToLegacy is the inverse of geoFromLegacy, for the 3.0 writer.
func geoToLegacy(v string) (string, bool) {
	rest, ok := strings.CutPrefix(v, "geo:")
	if !ok {
		return "", false
	}
	lat, lon, ok := strings.Cut(rest, ",")
	if !ok || !isFloat(lat) || !isFloat(lon) {
		return "", false
	}
	return lat + ";" + lon, true
}

func isFloat(s string) bool {
	if s == "" || strings.ContainsAny(s, ",; \t_xXpPiInN") {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// lowerType lower-cases a TYPE value without allocating for the common ones.
func lowerType(s string) string {
	switch s {
	case "HOME", "Home":
		return "home"
	case "WORK", "Work":
		return "work"
	case "CELL", "Cell":
		return "cell"
	case "VOICE", "Voice":
		return "voice"
	case "FAX", "Fax":
		return "fax"
	case "PREF", "Pref":
		return "pref"
	case "INTERNET", "Internet":
		return "internet"
	case "PAGER", "Pager":
		return "pager"
	case "MAIN", "Main":
		return "main"
	case "OTHER", "Other":
		return "other"
	case "IPHONE", "iPhone":
		return "iphone"
	case "MSG":
		return "msg"
	case "POSTAL":
		return "postal"
	case "PARCEL":
		return "parcel"
	case "DOM":
		return "dom"
	case "INTL":
		return "intl"
	case "VIDEO":
		return "video"
	case "TEXT":
		return "text"
	}
	return strings.ToLower(s)
}

// reserveParams returns an empty slice with capacity n, carved from the
// arena when there is one. Appending beyond n reallocates, so the reserved
// window never overlaps another.
func (a *paramArena) reserveParams(n int) []Param {
	if a == nil {
		return make([]Param, 0, n)
	}
	l := len(a.params)
	a.params = slices.Grow(a.params, n)[:l+n]
	return a.params[l : l : l+n]
}

// reserveValues is reserveParams for parameter values.
func (a *paramArena) reserveValues(n int) []string {
	if a == nil {
		return nil
	}
	l := len(a.values)
	a.values = slices.Grow(a.values, n)[:l+n]
	return a.values[l : l : l+n]
}
