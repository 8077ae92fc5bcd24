package mapping

import (
	"strings"

	"github.com/emersion/go-vcard"
)

// A valueKind says how a property's value is escaped and split. The model
// keeps every value in its vCard 4.0 escaped form (see Property.Value), and the
// kind decides which escapes are canonical for it.
type valueKind uint8

const (
	// kindRaw: unknown and X- properties. Their syntax is unknown, so their
	// value is kept byte for byte (only raw line breaks become \n).
	kindRaw valueKind = iota
	// kindText: one text value; ',' and '\' and newlines are escaped, ';' is not.
	kindText
	// kindTextList: comma-separated text values (CATEGORIES, NICKNAME).
	kindTextList
	// kindStructList: ';'-separated components, each a comma list (N, ADR).
	kindStructList
	// kindStruct: ';'-separated components of plain text (ORG, GENDER).
	kindStruct
	// kindURI: URIs, dates and other values that are not text. Only '\' and
	// newlines are escaped; "\," "\;" "\:" written by lenient producers are
	// unescaped, since none of those characters needs escaping in a URI.
	kindURI
)

// propInfo is what the package knows about a property name.
type propInfo struct {
	known  bool      // defined by vCard 2.1, 3.0, 4.0, RFC 6474 or RFC 6715
	kind   valueKind // default value kind; kindRaw when unknown
	rank   int       // position in written cards (encode.go)
	single bool      // merged as one value, not as a set (merge.go)
}

// rankOther places properties without a rank of their own after the rest.
const rankOther = 100

// lookupProp returns what is known about the upper-case property name. It is
// a switch rather than a map because it runs several times per property.
// The ranks follow the order of RFC 6350; single-valued means "one per
// contact" for merging (ARCHITECTURE.md: FN, N, BDAY, NOTE, ORG, TITLE,
// PHOTO …).
func lookupProp(name string) propInfo {
	switch name {
	case vcard.FieldSource:
		return propInfo{known: true, kind: kindURI, rank: 1, single: false}
	case vcard.FieldKind:
		return propInfo{known: true, kind: kindText, rank: 2, single: true}
	case vcard.FieldXML:
		return propInfo{known: true, kind: kindText, rank: 3, single: false}
	case vcard.FieldFormattedName:
		return propInfo{known: true, kind: kindText, rank: 4, single: true}
	case vcard.FieldName:
		return propInfo{known: true, kind: kindStructList, rank: 5, single: true}
	case vcard.FieldNickname:
		return propInfo{known: true, kind: kindTextList, rank: 6, single: false}
	case vcard.FieldPhoto:
		return propInfo{known: true, kind: kindURI, rank: 7, single: true}
	case vcard.FieldBirthday:
		return propInfo{known: true, kind: kindURI, rank: 8, single: true}
	case vcard.FieldAnniversary:
		return propInfo{known: true, kind: kindURI, rank: 9, single: true}
	case vcard.FieldGender:
		return propInfo{known: true, kind: kindStruct, rank: 10, single: true}
	case vcard.FieldAddress:
		return propInfo{known: true, kind: kindStructList, rank: 11, single: false}
	case vcard.FieldTelephone:
		return propInfo{known: true, kind: kindText, rank: 12, single: false}
	case vcard.FieldEmail:
		return propInfo{known: true, kind: kindText, rank: 13, single: false}
	case vcard.FieldIMPP:
		return propInfo{known: true, kind: kindURI, rank: 14, single: false}
	case vcard.FieldLanguage:
		return propInfo{known: true, kind: kindURI, rank: 15, single: false}
	case vcard.FieldTimezone:
		return propInfo{known: true, kind: kindText, rank: 16, single: true}
	case vcard.FieldGeolocation:
		return propInfo{known: true, kind: kindURI, rank: 17, single: true}
	case vcard.FieldTitle:
		return propInfo{known: true, kind: kindText, rank: 18, single: true}
	case vcard.FieldRole:
		return propInfo{known: true, kind: kindText, rank: 19, single: true}
	case vcard.FieldLogo:
		return propInfo{known: true, kind: kindURI, rank: 20, single: true}
	case vcard.FieldOrganization:
		return propInfo{known: true, kind: kindStruct, rank: 21, single: true}
	case vcard.FieldMember:
		return propInfo{known: true, kind: kindURI, rank: 22, single: false}
	case vcard.FieldRelated:
		return propInfo{known: true, kind: kindURI, rank: 23, single: false}
	case vcard.FieldCategories:
		return propInfo{known: true, kind: kindTextList, rank: 24, single: false}
	case vcard.FieldNote:
		return propInfo{known: true, kind: kindText, rank: 25, single: true}
	case vcard.FieldProductID:
		return propInfo{known: true, kind: kindText, rank: 26, single: false}
	case vcard.FieldRevision:
		return propInfo{known: true, kind: kindURI, rank: 27, single: false}
	case vcard.FieldSound:
		return propInfo{known: true, kind: kindURI, rank: 28, single: false}
	case vcard.FieldUID:
		return propInfo{known: true, kind: kindText, rank: 29, single: true}
	case vcard.FieldClientPIDMap:
		return propInfo{known: true, kind: kindStruct, rank: 30, single: false}
	case vcard.FieldURL:
		return propInfo{known: true, kind: kindURI, rank: 31, single: false}
	case vcard.FieldKey:
		return propInfo{known: true, kind: kindURI, rank: 32, single: false}
	case vcard.FieldFreeOrBusyURL:
		return propInfo{known: true, kind: kindURI, rank: 33, single: false}
	case vcard.FieldCalendarAddressURI:
		return propInfo{known: true, kind: kindURI, rank: 34, single: false}
	case vcard.FieldCalendarURI:
		return propInfo{known: true, kind: kindURI, rank: 35, single: false}
	case "LABEL":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "MAILER":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "SORT-STRING":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: true}
	case "NAME":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "CLASS":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: true}
	case "AGENT":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "PROFILE":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "DEATHDATE":
		return propInfo{known: true, kind: kindURI, rank: rankOther, single: true}
	case "BIRTHPLACE":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: true}
	case "DEATHPLACE":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: true}
	case "EXPERTISE":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "HOBBY":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "INTEREST":
		return propInfo{known: true, kind: kindText, rank: rankOther, single: false}
	case "ORG-DIRECTORY":
		return propInfo{known: true, kind: kindURI, rank: rankOther, single: false}
	case "CONTACT-URI":
		return propInfo{known: true, kind: kindURI, rank: rankOther, single: false}
	}
	return propInfo{kind: kindRaw, rank: rankOther}
}

// valueKindOf is the kind of a property's value, from its name and an explicit
// VALUE parameter. Unknown properties stay raw whatever VALUE says, so that
// nothing is re-escaped on the strength of a guess.
func valueKindOf(name string, params []Param) valueKind {
	info := lookupProp(name)
	if !info.known {
		return kindRaw
	}
	k := info.kind
	v := paramValue(params, vcard.ParamValue)
	if v == "" {
		return k
	}
	if strings.EqualFold(v, "text") {
		if k == kindURI {
			return kindText
		}
		return k
	}
	if k == kindText {
		return kindURI
	}
	return k
}

// canonicalValue rewrites raw, a value as read from any vCard version (after
// QUOTED-PRINTABLE and charset decoding), into the canonical 4.0 escaped form
// for kind. When raw is already canonical it is returned without copying.
func canonicalValue(raw string, kind valueKind) string {
	if kind == kindRaw {
		if strings.IndexByte(raw, '\n') < 0 && strings.IndexByte(raw, '\r') < 0 {
			return raw
		}
		return escapeNewlines(raw)
	}
	semiSep := kind == kindStruct || kind == kindStructList
	commaSep := kind == kindTextList || kind == kindStructList
	uri := kind == kindURI
	if isCanonical(raw, semiSep, commaSep, uri) {
		return raw
	}
	b := make([]byte, 0, len(raw)+8)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\\':
			if i+1 == len(raw) {
				b = append(b, '\\', '\\')
				continue
			}
			switch d := raw[i+1]; d {
			case '\\':
				b = append(b, '\\', '\\')
			case 'n', 'N':
				b = append(b, '\\', 'n')
			case ',':
				if uri {
					b = append(b, ',')
				} else {
					b = append(b, '\\', ',')
				}
			case ';':
				if semiSep {
					b = append(b, '\\', ';')
				} else {
					b = append(b, ';')
				}
			case ':':
				b = append(b, ':')
			default:
				// Not an escape: a literal backslash, kept as one.
				b = append(b, '\\', '\\')
				continue
			}
			i++
		case ',':
			if commaSep || uri {
				b = append(b, ',')
			} else {
				b = append(b, '\\', ',')
			}
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			b = append(b, '\\', 'n')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// isCanonical reports whether canonicalValue would return raw unchanged.
func isCanonical(raw string, semiSep, commaSep, uri bool) bool {
	// Most values hold no backslash and no line break: decide those with
	// vectorised scans (a photo is 100 KB of base64).
	if strings.IndexByte(raw, '\\') < 0 && strings.IndexByte(raw, '\n') < 0 && strings.IndexByte(raw, '\r') < 0 {
		return commaSep || uri || strings.IndexByte(raw, ',') < 0
	}
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			if i+1 == len(raw) {
				return false
			}
			switch raw[i+1] {
			case '\\', 'n':
			case ',':
				if uri {
					return false
				}
			case ';':
				if !semiSep {
					return false
				}
			default:
				return false
			}
			i++
		case ',':
			if !commaSep && !uri {
				return false
			}
		case '\r', '\n':
			return false
		}
	}
	return true
}

// escapeNewlines replaces raw CR, LF and CRLF by the two characters \n.
func escapeNewlines(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// padComponents appends empty components until v has at least n of them
// (vCard 4.0 requires 5 for N and 7 for ADR; older writers often cut them).
func padComponents(v string, n int) string {
	have := 1
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case ';':
			have++
		}
	}
	if have >= n {
		return v
	}
	return v + strings.Repeat(";", n-have)
}

// UnescapeText decodes a vCard value escaped as in a 4.0 content line:
// \\ \, \; \: and \n (or \N) become \ , ; : and a newline. A backslash
// before any other character stands for itself.
func UnescapeText(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i+1 == len(v) {
			b.WriteByte(c)
			continue
		}
		switch d := v[i+1]; d {
		case '\\', ',', ';', ':':
			b.WriteByte(d)
			i++
		case 'n', 'N':
			b.WriteByte('\n')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// EscapeText escapes s for use as one text value, or as one component or one
// list item of a structured value: backslash, comma, semicolon and newline
// are escaped.
func EscapeText(s string) string {
	if !strings.ContainsAny(s, "\\,;\r\n") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ',', ';':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitEscaped splits v at every sep that is not escaped by a backslash. The
// parts keep their escapes.
func splitEscaped(v string, sep byte) []string {
	n := 1
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' {
			i++
		} else if v[i] == sep {
			n++
		}
	}
	parts := make([]string, 0, n)
	start := 0
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' {
			i++
		} else if v[i] == sep {
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}
