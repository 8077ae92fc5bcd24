package carddav

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/contactbridge/contactbridge/mapping"
)

// radicaleTokenPrefix starts every sync-token Radicale hands out; it tells
// the connector that the server stores cards through vobject.
const radicaleTokenPrefix = "http://radicale.org/ns/sync/"

// Radicale 3.1 keeps cards as vobject 0.9 parses them, and vobject reads
// the value of most properties as a comma-separated list of which it keeps
// the first item: "NICKNAME:Nick1,Nick2" comes back "NICKNAME:Nick1",
// "GEO;TYPE=work:geo:46.7,-71.2" as "geo:46.7", a URL, a data: URI or an
// X- value is cut at its first comma. An escaped comma survives, and vobject
// escapes ";" in what it writes back (the damaged data: URIs of photos).
// So for such a server the connector escapes the commas vobject would cut
// at (vobjectSafe) and undoes on read the escapes it added where mapping
// does not (vobjectRepair); mapping already reads "\," and "\;" in URI
// values as the plain characters.

// vobjectStructured reports whether vobject reads property name with its
// structure (components, lists), keeping its commas and semicolons.
func vobjectStructured(name string) bool {
	switch name {
	case "N", "ADR", "ORG", "CATEGORIES":
		return true
	}
	return false
}

// vobjectSafe escapes, in a marshalled card, the commas vobject would cut a
// value at: every unescaped comma in the value of a property vobject does
// not read with its structure, except base64 values (which hold none).
// Lines are unfolded, rewritten and folded again at 75 octets.
func vobjectSafe(text []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(text) + len(text)/32)
	for _, line := range unfoldLines(text) {
		if rewritten, ok := escapeCommas(line); ok {
			line = rewritten
		}
		foldLine(&out, line)
	}
	return out.Bytes()
}

// unfoldLines splits text into logical lines (CRLF or LF ends, a leading
// space or tab continues the line before).
func unfoldLines(text []byte) []string {
	var lines []string
	var cur strings.Builder
	started := false
	for _, raw := range strings.Split(string(text), "\n") {
		raw = strings.TrimSuffix(raw, "\r")
		if started && len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
			cur.WriteString(raw[1:])
			continue
		}
		if started {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if raw == "" {
			started = false
			continue
		}
		cur.WriteString(raw)
		started = true
	}
	if started {
		lines = append(lines, cur.String())
	}
	return lines
}

// escapeCommas rewrites one content line for vobject; ok is false when
// the line needs no change.
func escapeCommas(line string) (string, bool) {
	colon := valueStart(line)
	if colon < 0 {
		return "", false
	}
	head, value := line[:colon], line[colon+1:]
	name := head
	if i := strings.IndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToUpper(name)
	if vobjectStructured(name) || !strings.Contains(value, ",") || strings.Contains(strings.ToUpper(head), "ENCODING=B") {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(line) + 8)
	b.WriteString(head)
	b.WriteByte(':')
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '\\' && i+1 < len(value):
			b.WriteByte(c)
			b.WriteByte(value[i+1])
			i++
		case c == ',':
			b.WriteString(`\,`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// valueStart returns the index of the colon that ends a content line's
// name and parameters (colons in quoted parameter values do not count), or
// -1.
func valueStart(line string) int {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return i
			}
		}
	}
	return -1
}

// foldLine writes line to out folded at 75 octets, never inside a UTF-8
// sequence, with CRLF ends.
func foldLine(out *bytes.Buffer, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 1 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		out.WriteString(line[:cut])
		out.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	out.WriteString(line)
	out.WriteString("\r\n")
}

// vobjectRepair undoes, in a card read from a vobject server, the escapes
// vobjectSafe added where mapping keeps them: "\," in NICKNAME (a list;
// mapping reads URI values' escapes as the plain characters itself). X-
// values are left as the server gives them: vobject escapes "," and ";"
// in them as text, and whether the writer had escaped them is lost.
func vobjectRepair(card *mapping.Card) {
	for i := range card.Props {
		if p := &card.Props[i]; p.Name == "NICKNAME" {
			p.Value = unescapeSome(p.Value, ",")
		}
	}
}

// unescapeSome removes the backslash before the characters in chars,
// leaving other escapes ("\\", "\n") as they are.
func unescapeSome(v, chars string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			if strings.IndexByte(chars, v[i+1]) >= 0 {
				b.WriteByte(v[i+1])
			} else {
				b.WriteByte(c)
				b.WriteByte(v[i+1])
			}
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
