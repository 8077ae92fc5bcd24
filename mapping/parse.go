package mapping

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
)

// Errors a parse can wrap; test with errors.Is.
var (
	// ErrMalformed marks input that is not a readable vCard.
	ErrMalformed = errors.New("malformed vCard")
	// ErrCardTooLarge marks a card larger than MaxCardSize.
	ErrCardTooLarge = errors.New("vCard too large")
	// ErrNoCard marks input holding no BEGIN:VCARD at all.
	ErrNoCard = errors.New("no vCard found")
	// ErrUnsupportedVersion marks a request to write a version other than
	// 3.0 or 4.0.
	ErrUnsupportedVersion = errors.New("unsupported vCard version")
)

// A ParseError says where and why a card could not be read. Its message
// names the source, the line and at most a property name: never a value,
// since values are personal data.
type ParseError struct {
	Source string // the name the caller gave the input; may be ""
	Line   int    // 1-based line of the input; 0 when not tied to a line
	Msg    string // what is wrong
	Err    error  // ErrMalformed, ErrCardTooLarge or ErrNoCard
}

// Error implements error.
func (e *ParseError) Error() string {
	switch {
	case e.Source != "" && e.Line > 0:
		return fmt.Sprintf("vcard: %s line %d: %s", e.Source, e.Line, e.Msg)
	case e.Source != "":
		return fmt.Sprintf("vcard: %s: %s", e.Source, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("vcard: line %d: %s", e.Line, e.Msg)
	}
	return "vcard: " + e.Msg
}

// Unwrap returns the sentinel the error belongs to.
func (e *ParseError) Unwrap() error { return e.Err }

// ParseAll reads every card in data. src names the input in error messages
// (a file name, an href, a record id). A malformed card is reported as a
// *ParseError and skipped; the cards around it are still returned. Text
// outside BEGIN:VCARD … END:VCARD is reported once per stretch. ParseAll
// never panics, whatever data holds.
func ParseAll(src string, data []byte) ([]*Card, []error) {
	text := decodeInput(data)
	sc := lineScanner{data: text}
	var (
		cards  []*Card
		errs   []error
		r      cardReader
		arena  paramArena
		inJunk bool
	)
	r.lines = make([]logicalLine, 0, min(strings.Count(text, "\n")+1, 1024))
	newErr := func(line int, msg string, kind error) {
		errs = append(errs, &ParseError{Source: src, Line: line, Msg: msg, Err: kind})
	}
	pending, pendingLine, pendingPos := false, 0, 0
	for {
		var beginLine, beginPos int
		if pending {
			pending, beginLine, beginPos = false, pendingLine, pendingPos
		} else {
			pos := sc.pos
			ln, num, ok := sc.next()
			if !ok {
				break
			}
			if !isDelimiterLine(ln, "BEGIN:VCARD") {
				if strings.TrimSpace(ln) != "" && !inJunk {
					inJunk = true
					newErr(num, "text outside BEGIN:VCARD and END:VCARD", ErrMalformed)
				}
				continue
			}
			beginLine, beginPos = num, pos
		}
		inJunk = false
		end, errLine, errMsg, errKind := r.readCard(&sc, beginPos)
		switch {
		case errMsg != "":
			newErr(errLine, errMsg, errKind)
		case end == cardEOF:
			newErr(beginLine, "card has no END:VCARD", ErrMalformed)
		case end == cardRestarted:
			newErr(beginLine, "card has no END:VCARD before the next BEGIN:VCARD", ErrMalformed)
		default:
			c, perr := buildCard(r.lines, &arena)
			if perr != nil {
				perr.Source = src
				errs = append(errs, perr)
			} else {
				cards = append(cards, c)
			}
		}
		if end == cardRestarted {
			// The BEGIN line that interrupted this card starts the next.
			pending, pendingLine, pendingPos = true, sc.line, sc.pos
		}
		if end == cardEOF {
			break
		}
	}
	if len(cards) == 0 && len(errs) == 0 {
		newErr(0, "no BEGIN:VCARD found", ErrNoCard)
	}
	return cards, errs
}

// Parse reads exactly one card. It fails when data holds no card, more than
// one, or a malformed one.
func Parse(data []byte) (*Card, error) {
	cards, errs := ParseAll("", data)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	if len(cards) != 1 {
		return nil, &ParseError{Msg: fmt.Sprintf("want one card, found %d", len(cards)), Err: ErrMalformed}
	}
	return cards[0], nil
}

// buildCard runs the second pass over a card's logical lines.
func buildCard(lines []logicalLine, arena *paramArena) (*Card, *ParseError) {
	c := &Card{}
	for _, l := range lines {
		if len(l.text) > 8 && strings.EqualFold(l.text[:8], "VERSION:") {
			c.Version = Version(strings.TrimSpace(l.text[8:]))
			if c.Version == "4" {
				c.Version = Version40
			}
			break
		}
	}
	caret := c.Version != Version21
	// Most properties have at most one parameter; append grows the arena
	// for the rest (earlier windows keep the old backing array).
	arena.params = make([]Param, 0, len(lines))
	arena.values = make([]string, 0, len(lines)+len(lines)/2)
	c.Props = make([]Property, 0, len(lines))
	var (
		fallback       encoding.Encoding
		fallbackLooked bool
	)
	for _, l := range lines {
		cl, msg := arena.parseContentLine(l.text, caret)
		if msg != "" {
			return nil, &ParseError{Line: l.line, Msg: msg, Err: ErrMalformed}
		}
		if cl.name == "VERSION" {
			continue
		}
		p := Property{Group: cl.group, Name: cl.name, Params: cl.params, Value: cl.value}
		if needsDecoding(&p) {
			if !fallbackLooked {
				fallback, fallbackLooked = declaredLegacyCharset(lines), true
			}
			decodeProperty(&p, fallback)
		}
		c.Props = append(c.Props, normalizeWith(p, arena))
	}
	return c, nil
}

// needsDecoding reports whether a property's value or parameters need QP or
// charset decoding.
func needsDecoding(p *Property) bool {
	if !isASCII(p.Value) {
		return true
	}
	for _, q := range p.Params {
		switch q.Name {
		case "ENCODING", "CHARSET":
			return true
		}
		for _, v := range q.Values {
			if !isASCII(v) {
				return true
			}
		}
	}
	return false
}

// decodeProperty undoes QUOTED-PRINTABLE and CHARSET in place.
func decodeProperty(p *Property, fallback encoding.Encoding) {
	charset := paramValue(p.Params, "CHARSET")
	if strings.EqualFold(paramValue(p.Params, "ENCODING"), "QUOTED-PRINTABLE") {
		p.Value = decodeQuotedPrintable(p.Value)
	}
	p.Value = decodeText(p.Value, charset, fallback)
	// The parameter slices belong to this card's arena: decode in place.
	for _, q := range p.Params {
		for j, v := range q.Values {
			if !isASCII(v) {
				q.Values[j] = decodeText(v, charset, fallback)
			}
		}
	}
}

// declaredLegacyCharset returns the first non-UTF-8 charset a CHARSET
// parameter of the card names, the best guess for undeclared 8-bit values.
func declaredLegacyCharset(lines []logicalLine) encoding.Encoding {
	for _, l := range lines {
		head := l.text
		if i := valueColon(head); i >= 0 {
			head = head[:i]
		}
		for {
			i := indexFold(head, "CHARSET=")
			if i < 0 {
				break
			}
			head = head[i+len("CHARSET="):]
			label := strings.Trim(head[:paramValueEnd(head, 0)], `"`)
			if enc := lookupCharset(label); enc != nil {
				return enc
			}
		}
	}
	return nil
}

func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}
