package mapping

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// Input text comes in three layers, and each is undone where it is
// unambiguous:
//
//  1. The whole file: UTF-16 (by byte-order mark, or by a NUL in the first
//     two bytes, as Mac OS X Address Book wrote it without a BOM) is
//     transcoded to UTF-8 before anything else; a UTF-8 BOM is dropped.
//  2. Per value: ENCODING=QUOTED-PRINTABLE is decoded to bytes.
//  3. Per value: the bytes are decoded with the CHARSET parameter.
//
// Values are decoded from their charset before backslash escapes are read,
// because Shift_JIS uses the byte 0x5C ('\') inside two-byte characters.
//
// Bytes that are not valid in the declared charset, or not valid UTF-8 when
// nothing is declared, are decoded with the first legacy charset another
// property of the same card declares (feature phones declare SHIFT_JIS on
// some lines only), and otherwise as Windows-1252, which maps every byte to a
// character. Garbled text is better than a rejected contact, and the result
// is always valid UTF-8, so nothing downstream has to cope with invalid text.

// decodeInput returns data as text whose line structure is ASCII-compatible.
func decodeInput(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF:
		return string(data[3:])
	case len(data) >= 2 && data[0] == 0xFE && data[1] == 0xFF:
		return decodeUTF16(data[2:], true)
	case len(data) >= 2 && data[0] == 0xFF && data[1] == 0xFE:
		return decodeUTF16(data[2:], false)
	case len(data) >= 2 && data[0] == 0 && data[1] != 0:
		return decodeUTF16(data, true)
	case len(data) >= 2 && data[0] != 0 && data[1] == 0:
		return decodeUTF16(data, false)
	}
	return string(data)
}

// decodeUTF16 transcodes UTF-16 to UTF-8; a dangling odd byte and unpaired
// surrogates become U+FFFD.
func decodeUTF16(data []byte, bigEndian bool) string {
	out := make([]byte, 0, len(data)/2+8)
	for i := 0; i+1 < len(data); i += 2 {
		u := uint16(data[i])<<8 | uint16(data[i+1])
		if !bigEndian {
			u = uint16(data[i+1])<<8 | uint16(data[i])
		}
		r := rune(u)
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
			if u < 0xDC00 && i+3 < len(data) {
				u2 := uint16(data[i+2])<<8 | uint16(data[i+3])
				if !bigEndian {
					u2 = uint16(data[i+3])<<8 | uint16(data[i+2])
				}
				if d := utf16.DecodeRune(rune(u), rune(u2)); d != utf8.RuneError {
					r = d
					i += 2
				}
			}
		}
		out = utf8.AppendRune(out, r)
	}
	if len(data)%2 == 1 {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	return string(out)
}

// decodeQuotedPrintable decodes =XX escapes. Soft line breaks were already
// joined by the lexer; a '=' not followed by two hex digits stands for itself.
func decodeQuotedPrintable(s string) string {
	if strings.IndexByte(s, '=') < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' && i+2 < len(s) {
			hi, ok1 := qpHexDigit(s[i+1])
			lo, ok2 := qpHexDigit(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}

func qpHexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// isUTF8Label reports whether a CHARSET value names UTF-8 or ASCII, the
// cases that need no decoder.
func isUTF8Label(label string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// lookupCharset returns the decoder for a CHARSET value, or nil when the
// label is unknown or names a charset that cannot appear inside a line of
// ASCII-compatible text (UTF-16 and friends).
func lookupCharset(label string) encoding.Encoding {
	label = strings.TrimSpace(label)
	if label == "" || isUTF8Label(label) {
		return nil
	}
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil
	}
	if name, _ := htmlindex.Name(enc); strings.HasPrefix(name, "utf-16") || name == "replacement" {
		return nil
	}
	return enc
}

// decodeText turns the bytes of one value or parameter into UTF-8. label is
// the CHARSET parameter ("" when absent); fallback is the legacy charset the
// card declares elsewhere, or nil.
func decodeText(s, label string, fallback encoding.Encoding) string {
	if isASCII(s) {
		return s
	}
	if enc := lookupCharset(label); enc != nil {
		if out, err := enc.NewDecoder().String(s); err == nil && utf8.ValidString(out) {
			return out
		}
	}
	if utf8.ValidString(s) {
		return s
	}
	if fallback != nil {
		if out, err := fallback.NewDecoder().String(s); err == nil && utf8.ValidString(out) {
			return out
		}
	}
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil || !utf8.ValidString(out) {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if (s[i]|s[i+1]|s[i+2]|s[i+3]|s[i+4]|s[i+5]|s[i+6]|s[i+7])&0x80 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
