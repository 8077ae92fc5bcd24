package mapping

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The hub reads hundreds of thousands of small JSON objects per sync — the
// v5 envelope and the record cleartext — whose values are all strings or
// booleans. encoding/json validates each document in a separate pass before
// decoding it, which made JSON most of the cost of opening a record. This
// file reads exactly that shape in one pass; anything else (nesting,
// numbers, odd whitespace is fine) makes it report !ok, and the caller falls
// back to encoding/json, which then also produces the precise error.

// A flatValue is one member value of a flat object.
type flatValue struct {
	str    string
	isStr  bool
	b      bool
	isBool bool
	isNull bool
}

// parseFlat reads a JSON object whose values are strings, booleans or null
// and calls set for each member in order. ok is false when data is not such
// an object; set may have been called for some members by then.
func parseFlat(data []byte, set func(key string, v flatValue)) (ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		key, n, ok := parseString(data, i)
		if !ok {
			return false
		}
		i = skipSpace(data, n)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return false
		}
		var v flatValue
		switch c := data[i]; {
		case c == '"':
			v.str, i, ok = parseString(data, i)
			if !ok {
				return false
			}
			v.isStr = true
		case hasLiteral(data, i, "true"):
			v.b, v.isBool, i = true, true, i+4
		case hasLiteral(data, i, "false"):
			v.isBool, i = true, i+5
		case hasLiteral(data, i, "null"):
			v.isNull, i = true, i+4
		default:
			return false
		}
		set(key, v)
		i = skipSpace(data, i)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// parseString reads the JSON string starting at data[i] (a quote) and
// returns its value and the index after the closing quote. Like
// encoding/json it turns invalid UTF-8 and lone surrogates into U+FFFD.
func parseString(data []byte, i int) (string, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return "", 0, false
	}
	start := i + 1
	// Fast path: no escapes, all ASCII or valid UTF-8.
	j := start
	for j < len(data) {
		c := data[j]
		if c == '"' {
			if s := data[start:j]; utf8.Valid(s) {
				return string(s), j + 1, true
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		j++
	}
	return parseStringSlow(data, start)
}

func parseStringSlow(data []byte, start int) (string, int, bool) {
	buf := make([]byte, 0, 64)
	j := start
	for j < len(data) {
		c := data[j]
		switch {
		case c == '"':
			return string(buf), j + 1, true
		case c < 0x20:
			return "", 0, false
		case c == '\\':
			if j+1 >= len(data) {
				return "", 0, false
			}
			switch e := data[j+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
				j += 2
			case 'b':
				buf, j = append(buf, '\b'), j+2
			case 'f':
				buf, j = append(buf, '\f'), j+2
			case 'n':
				buf, j = append(buf, '\n'), j+2
			case 'r':
				buf, j = append(buf, '\r'), j+2
			case 't':
				buf, j = append(buf, '\t'), j+2
			case 'u':
				r, ok := hex4(data, j+2)
				if !ok {
					return "", 0, false
				}
				j += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(data, j+2); ok && j+1 < len(data) && data[j] == '\\' && data[j+1] == 'u' {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf, j = utf8.AppendRune(buf, dec), j+6
							continue
						}
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", 0, false
			}
		case c < utf8.RuneSelf:
			buf, j = append(buf, c), j+1
		default:
			r, size := utf8.DecodeRune(data[j:])
			buf, j = utf8.AppendRune(buf, r), j+size // invalid bytes become U+FFFD
		}
	}
	return "", 0, false
}

func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(data[i:i+4]), 16, 16)
	return rune(v), err == nil
}
