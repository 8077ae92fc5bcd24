package mapping

import (
	"strings"
)

// The lexer works in two passes per card, because some decisions depend on
// things that come later in the card (VERSION may be the last line):
//
//  1. readCard splits the physical lines between BEGIN:VCARD and END:VCARD
//     into logical lines: it unfolds continuation lines, joins
//     QUOTED-PRINTABLE soft line breaks ("=" at the end of a line, the next
//     line not indented), joins vCard 2.1 base64 lines that are not indented,
//     and skips blank lines and "#" comment lines.
//  2. parseContentLine splits one logical line into group, name, parameters
//     and value, honouring quoted parameter values.
//
// This is why the package does not use go-vcard's decoder: go-vcard unescapes
// "\\" but not "\;" (so "a\\;b" becomes ambiguous), drops QP continuation
// lines, turns bare 2.1 parameters into a parameter holding the value, and
// silently skips lines it cannot read. Its types would also cost a map per
// card and per property; this lexer mostly slices the input.

// MaxCardSize bounds the size in bytes of one card (BEGIN to END, after
// transcoding UTF-16). Larger cards are rejected with ErrCardTooLarge; the
// limit is generous for a contact with a photo.
const MaxCardSize = 10 << 20

// A logicalLine is one unfolded content line and the physical line it
// started on.
type logicalLine struct {
	text string
	line int
}

// lineScanner hands out the physical lines of the input.
type lineScanner struct {
	data string
	pos  int
	line int
}

// next returns the next physical line without its terminator (CRLF, LF or a
// lone CR) and its 1-based number.
func (s *lineScanner) next() (string, int, bool) {
	if s.pos >= len(s.data) {
		return "", 0, false
	}
	rest := s.data[s.pos:]
	s.line++
	end, skip := len(rest), 0
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		// CRLF, LF, and CRCRLF (a CRLF file converted to CRLF again).
		end = i
		for end > 0 && rest[end-1] == '\r' {
			end--
		}
		skip = i + 1 - end
	}
	if j := strings.IndexByte(rest[:end], '\r'); j >= 0 {
		end, skip = j, 1
	}
	s.pos += end + skip
	return rest[:end], s.line, true
}

// lineBuilder accumulates one logical line. It keeps a slice of the input
// while nothing has been joined, and copies only when it must. It finds the
// end of the name and parameters incrementally, so that a value folded over
// thousands of lines (a photo) costs linear time.
type lineBuilder struct {
	text   string
	buf    []byte
	joined bool
	line   int
	active bool

	scanned  int  // bytes examined for the head so far
	headDone bool // the ':' ending the head has been found
	qp       bool // the head declares QUOTED-PRINTABLE
}

func (b *lineBuilder) start(text string, line int) {
	b.text, b.line, b.active, b.joined = text, line, true, false
	b.buf = b.buf[:0]
	b.scanned, b.headDone, b.qp = 0, false, false
}

func (b *lineBuilder) current() string {
	if b.joined {
		return string(b.buf)
	}
	return b.text
}

func (b *lineBuilder) endsWith(c byte) bool {
	if b.joined {
		return len(b.buf) > 0 && b.buf[len(b.buf)-1] == c
	}
	return len(b.text) > 0 && b.text[len(b.text)-1] == c
}

func (b *lineBuilder) trimLast() {
	if !b.joined {
		b.buf = append(b.buf[:0], b.text...)
		b.joined = true
	}
	b.buf = b.buf[:len(b.buf)-1]
	b.scanned = min(b.scanned, len(b.buf))
}

func (b *lineBuilder) append(s ...string) {
	if !b.joined {
		b.buf = append(b.buf[:0], b.text...)
		b.joined = true
	}
	for _, x := range s {
		b.buf = append(b.buf, x...)
	}
}

// isQP reports whether the line's head, once complete, declares
// QUOTED-PRINTABLE, read exactly as parseContentLine will read it.
func (b *lineBuilder) isQP() bool {
	if b.headDone {
		return b.qp
	}
	t := b.text
	if b.joined {
		// The head can only complete with a new ':' (or a closing
		// quote before one): skip the copy when neither arrived.
		if !bytesContainAny(b.buf[b.scanned:], ':', '"') {
			b.scanned = len(b.buf)
			return false
		}
		t = string(b.buf)
	}
	b.scanned = len(t)
	enc, done := headEncoding(t)
	if done {
		b.headDone = true
		b.qp = strings.EqualFold(enc, "QUOTED-PRINTABLE")
	}
	return b.qp
}

func bytesContainAny(b []byte, c1, c2 byte) bool {
	for _, c := range b {
		if c == c1 || c == c2 {
			return true
		}
	}
	return false
}

// valueColon returns the index of the ':' that ends the name and parameters
// of a content line, skipping quoted parameter values, or -1.
func valueColon(t string) int {
	quoted := false
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return i
			}
		}
	}
	if quoted {
		// An unbalanced quote: fall back to the first colon, so that the
		// line is reported as malformed by parseContentLine rather than
		// swallowing what follows.
		return strings.IndexByte(t, ':')
	}
	return -1
}

// headEncoding returns the encoding a content line declares, walking its
// name and parameters exactly as parseContentLine does: the first value of
// the first ENCODING parameter, or a bare QUOTED-PRINTABLE, BASE64, 8BIT or
// 7BIT parameter. done reports whether the ':' that ends the parameters was
// reached; until then the line may still be incomplete.
func headEncoding(t string) (enc string, done bool) {
	i := 0
	for i < len(t) && isNameByte(t[i]) || i < len(t) && t[i] == '.' {
		i++
	}
	found := false
	for i < len(t) && t[i] == ';' {
		i++
		j := i
		for i < len(t) && t[i] != '=' && t[i] != ';' && t[i] != ':' && t[i] != '"' {
			i++
		}
		token := strings.TrimSpace(t[j:i])
		if i < len(t) && t[i] == '=' {
			i++
			first := true
			for {
				var v string
				if i < len(t) && t[i] == '"' {
					k := strings.IndexByte(t[i+1:], '"')
					if k < 0 {
						return enc, false
					}
					v = t[i+1 : i+1+k]
					i += k + 2
					i = paramValueEnd(t, i)
				} else {
					k := paramValueEnd(t, i)
					v = t[i:k]
					i = k
				}
				if first && !found && strings.EqualFold(token, "ENCODING") {
					enc, found = v, true
				}
				first = false
				if i < len(t) && t[i] == ',' {
					i++
					continue
				}
				break
			}
			continue
		}
		if i < len(t) && t[i] == '"' {
			return enc, false
		}
		if !found {
			switch strings.ToUpper(token) {
			case "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT":
				enc, found = token, true
			}
		}
	}
	return enc, i < len(t) && t[i] == ':'
}

// isBase64Encoding reports whether an encoding names base64.
func isBase64Encoding(enc string) bool {
	return strings.EqualFold(enc, "B") || strings.EqualFold(enc, "BASE64")
}

func isBase64Line(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '+' || c == '/' || c == '=' || c == ' ' || c == '\t') {
			return false
		}
	}
	return true
}

func isDelimiterLine(s, want string) bool {
	s = strings.TrimRight(s, " \t")
	return len(s) == len(want) && strings.EqualFold(s, want)
}

// cardReader collects the logical lines of one card. It is reused across the
// cards of one input.
type cardReader struct {
	lines []logicalLine
	cur   lineBuilder
	b64   bool // the current line declares base64 data

	// lastB64 says the last line in lines declares base64 data; lastBuf
	// holds its text while continuations are being added to it.
	lastB64    bool
	lastBuf    []byte
	lastMerged bool
}

// flush ends the current logical line. A line that has no ':' even after
// unfolding is not a property; two vCard 2.1 habits explain such lines and
// join them to the line before:
//
//   - base64 data continued on lines that are not indented;
//   - a value continued after a line that ends with a backslash, which
//     then reads as an escaped newline.
//
// Deciding here, on the unfolded line, means a property whose name and
// parameters were folded before their ':' is never mistaken for either.
// Any other such line fails later, in parseContentLine.
func (r *cardReader) flush() {
	if !r.cur.active {
		return
	}
	r.cur.active = false
	text := r.cur.current()
	if n := len(r.lines); n > 0 && strings.IndexByte(text, ':') < 0 {
		prevEndsBackslash := r.lastMerged && len(r.lastBuf) > 0 && r.lastBuf[len(r.lastBuf)-1] == '\\' ||
			!r.lastMerged && strings.HasSuffix(r.lines[n-1].text, `\`)
		switch {
		case r.lastB64 && isBase64Line(text):
			r.extendLast(text)
			return
		case prevEndsBackslash:
			r.extendLast("n" + text)
			return
		}
	}
	r.finishLast()
	r.lines = append(r.lines, logicalLine{text: text, line: r.cur.line})
	r.lastB64 = r.b64
}

func (r *cardReader) extendLast(s string) {
	if !r.lastMerged {
		r.lastBuf = append(r.lastBuf[:0], r.lines[len(r.lines)-1].text...)
		r.lastMerged = true
	}
	r.lastBuf = append(r.lastBuf, s...)
}

// finishLast stores the text of a last line that continuations extended.
func (r *cardReader) finishLast() {
	if r.lastMerged {
		r.lines[len(r.lines)-1].text = string(r.lastBuf)
		r.lastMerged = false
	}
}

// endCard flushes the current line and settles the last one.
func (r *cardReader) endCard() {
	r.flush()
	r.finishLast()
}

// outcome of readCard.
type cardEnd uint8

const (
	cardComplete  cardEnd = iota // END:VCARD seen
	cardEOF                      // input ended first
	cardRestarted                // a BEGIN:VCARD came before END:VCARD
)

// readCard reads physical lines after BEGIN:VCARD up to END:VCARD. It returns
// the logical lines, or the first error (with its line) after which it keeps
// reading only to find where the card ends. beginPos is the input offset of
// the BEGIN line, for the size limit.
func (r *cardReader) readCard(sc *lineScanner, beginPos int) (end cardEnd, errLine int, errMsg string, errKind error) {
	r.lines = r.lines[:0]
	r.cur.active = false
	r.b64, r.lastB64, r.lastMerged = false, false, false
	failed := false
	fail := func(line int, msg string, kind error) {
		if !failed {
			failed, errLine, errMsg, errKind = true, line, msg, kind
		}
	}
	for {
		ln, num, ok := sc.next()
		if !ok {
			r.endCard()
			return cardEOF, errLine, errMsg, errKind
		}
		if sc.pos-beginPos > MaxCardSize {
			fail(num, "card is larger than 10 MiB", ErrCardTooLarge)
			r.lines = r.lines[:0]
			r.cur.active, r.lastMerged = false, false
		}
		if failed {
			if isDelimiterLine(ln, "END:VCARD") {
				return cardComplete, errLine, errMsg, errKind
			}
			if isDelimiterLine(ln, "BEGIN:VCARD") {
				return cardRestarted, errLine, errMsg, errKind
			}
			continue
		}
		// A QP soft line break joins the next physical line whatever it
		// looks like, except the line that ends the card.
		if r.cur.active && r.cur.endsWith('=') && !isDelimiterLine(ln, "END:VCARD") && r.cur.isQP() {
			r.cur.trimLast()
			r.cur.append(ln)
			continue
		}
		if ln != "" && (ln[0] == ' ' || ln[0] == '\t') {
			if r.cur.active {
				if r.cur.isQP() {
					// Folding whitespace inside QP text is never data:
					// QP encodes significant leading blanks.
					r.cur.append(strings.TrimLeft(ln, " \t"))
				} else {
					r.cur.append(ln[1:])
				}
				continue
			}
			if strings.TrimLeft(ln, " \t") == "" {
				continue
			}
			fail(num, "continuation line without a property before it", ErrMalformed)
			continue
		}
		if strings.TrimRight(ln, " \t") == "" {
			// A blank line also ends vCard 2.1 base64 data.
			r.flush()
			r.lastB64 = false
			continue
		}
		if isDelimiterLine(ln, "END:VCARD") {
			r.endCard()
			return cardComplete, 0, "", nil
		}
		if isDelimiterLine(ln, "BEGIN:VCARD") {
			if r.cur.active && isEmptyAgent(r.cur.current()) {
				if !r.readAgent(sc, ln, beginPos) {
					fail(num, "unterminated vCard inside AGENT", ErrMalformed)
				}
				continue
			}
			r.endCard()
			return cardRestarted, 0, "", nil
		}
		if ln[0] == '#' {
			// Comment lines, as some Android exports write them.
			continue
		}
		r.flush()
		r.cur.start(ln, num)
		enc, _ := headEncoding(ln)
		r.b64 = isBase64Encoding(enc)
	}
}

// isEmptyAgent reports whether t is an AGENT property with an empty value,
// the vCard 2.1 way to nest a card.
func isEmptyAgent(t string) bool {
	i := valueColon(t)
	if i < 0 || strings.TrimSpace(t[i+1:]) != "" {
		return false
	}
	name := t[:i]
	if j := strings.IndexByte(name, ';'); j >= 0 {
		name = name[:j]
	}
	if j := strings.IndexByte(name, '.'); j >= 0 {
		name = name[j+1:]
	}
	return strings.EqualFold(name, "AGENT")
}

// readAgent reads a nested vCard 2.1 card into the current AGENT line as its
// text value (physical lines joined by newlines), which is how vCard 3.0
// writes AGENT. It reports whether the nested card was terminated.
func (r *cardReader) readAgent(sc *lineScanner, begin string, beginPos int) bool {
	r.cur.append(begin)
	depth := 1
	for depth > 0 {
		ln, _, ok := sc.next()
		if !ok || sc.pos-beginPos > MaxCardSize {
			return false
		}
		switch {
		case isDelimiterLine(ln, "BEGIN:VCARD"):
			depth++
		case isDelimiterLine(ln, "END:VCARD"):
			depth--
		}
		r.cur.append("\n", ln)
	}
	return true
}

// contentLine is one parsed logical line; params is a window into the
// parser's arena.
type contentLine struct {
	group, name string
	params      []Param
	value       string
}

// isNameByte reports whether c may appear in a property, group or parameter
// name (RFC 6350: ALPHA / DIGIT / "-").
func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
}

// paramArena hands out parameter slices for one card from shared backing
// arrays, so a card's parameters cost a few allocations, not one per
// parameter.
type paramArena struct {
	params []Param
	values []string
}

// parseContentLine splits a logical line. caret enables RFC 6868 decoding of
// parameter values (vCard 3.0 and 4.0). On failure it returns a message that
// names no content.
func (a *paramArena) parseContentLine(t string, caret bool) (contentLine, string) {
	var cl contentLine
	i := 0
	for i < len(t) && isNameByte(t[i]) {
		i++
	}
	if i < len(t) && t[i] == '.' && i > 0 {
		cl.group = t[:i]
		i++
		j := i
		for i < len(t) && isNameByte(t[i]) {
			i++
		}
		cl.name = t[j:i]
	} else {
		cl.name = t[:i]
	}
	if i == len(t) && strings.IndexByte(t, ':') < 0 {
		return cl, "line has no ':'"
	}
	if cl.name == "" || i == len(t) || (t[i] != ':' && t[i] != ';') {
		return cl, "invalid property name"
	}
	cl.name = strings.ToUpper(cl.name)
	pstart := len(a.params)
	for i < len(t) && t[i] == ';' {
		i++
		j := i
		for i < len(t) && t[i] != '=' && t[i] != ';' && t[i] != ':' && t[i] != '"' {
			i++
		}
		token := t[j:i]
		if i < len(t) && t[i] == '=' {
			name := strings.TrimSpace(token)
			for k := 0; k < len(name); k++ {
				if !isNameByte(name[k]) && name[k] != '_' {
					return cl, safeName(cl.name) + ": invalid parameter name"
				}
			}
			if name == "" {
				return cl, safeName(cl.name) + ": parameter without a name"
			}
			i++
			vstart := len(a.values)
			for {
				var v string
				if i < len(t) && t[i] == '"' {
					k := strings.IndexByte(t[i+1:], '"')
					if k < 0 {
						return cl, safeName(cl.name) + ": unterminated quoted parameter value"
					}
					v = t[i+1 : i+1+k]
					i += k + 2
					if k2 := paramValueEnd(t, i); k2 > i {
						// Text after the closing quote: keep it rather
						// than drop it.
						v += t[i:k2]
						i = k2
					}
				} else {
					k := paramValueEnd(t, i)
					v = t[i:k]
					i = k
				}
				if caret {
					v = decodeCaret(v)
				}
				a.values = append(a.values, v)
				if i < len(t) && t[i] == ',' {
					i++
					continue
				}
				break
			}
			a.params = append(a.params, Param{Name: strings.ToUpper(name), Values: a.values[vstart:len(a.values):len(a.values)]})
			continue
		}
		if i < len(t) && t[i] == '"' {
			return cl, safeName(cl.name) + ": quoted parameter value without a name"
		}
		// A bare parameter (vCard 2.1 "TEL;HOME;VOICE:"): a TYPE value, or
		// the encoding.
		token = strings.TrimSpace(token)
		if token == "" {
			continue
		}
		pname := "TYPE"
		switch strings.ToUpper(token) {
		case "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT":
			pname = "ENCODING"
		}
		vstart := len(a.values)
		a.values = append(a.values, token)
		a.params = append(a.params, Param{Name: pname, Values: a.values[vstart:len(a.values):len(a.values)]})
	}
	if i >= len(t) || t[i] != ':' {
		if strings.IndexByte(t, ':') < 0 {
			return cl, "line has no ':'"
		}
		return cl, safeName(cl.name) + ": malformed parameters"
	}
	cl.params = a.params[pstart:len(a.params):len(a.params)]
	cl.value = t[i+1:]
	return cl, ""
}

// paramValueEnd returns the index of the ',', ';' or ':' that ends an
// unquoted parameter value starting at i.
func paramValueEnd(t string, i int) int {
	for i < len(t) && t[i] != ',' && t[i] != ';' && t[i] != ':' {
		i++
	}
	return i
}

// decodeCaret resolves RFC 6868 escapes: ^^ ^n ^' (a newline and a quote).
func decodeCaret(v string) string {
	if strings.IndexByte(v, '^') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '^' && i+1 < len(v) {
			switch v[i+1] {
			case '^':
				b.WriteByte('^')
				i++
				continue
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// safeName returns a property name fit for an error message: registered
// and X- names only, since the "name" of a broken line may be contact data.
func safeName(name string) string {
	if lookupProp(name).known || strings.HasPrefix(name, "X-") {
		return name
	}
	return "property"
}
