package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// vcf builds a card from lines joined by CRLF.
func vcf(version string, lines ...string) string {
	head := "BEGIN:VCARD\r\n"
	if version != "" {
		head += "VERSION:" + version + "\r\n"
	}
	return head + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n"
}

// mustParse parses exactly one card or fails the test.
func mustParse(t testing.TB, s string) *Card {
	t.Helper()
	c, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

// body returns the canonical 4.0 lines of c between VERSION and END,
// unfolded, joined by "\n".
func body(t testing.TB, c *Card) string {
	t.Helper()
	data, err := c.Marshal(Version40)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(data), "\r\n ", "")
	s = strings.TrimPrefix(s, "BEGIN:VCARD\r\nVERSION:4.0\r\n")
	s = strings.TrimSuffix(s, "END:VCARD\r\n")
	return strings.ReplaceAll(strings.TrimSuffix(s, "\r\n"), "\r\n", "\n")
}

// TestParseGolden pins the canonical 4.0 form of inputs that go-vcard gets
// wrong, and of the conversions from 2.1 and 3.0.
func TestParseGolden(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"escaped semicolon in N", vcf("3.0", `N:O\;Brien;Pat;;;`), `N:O\;Brien;Pat;;;`},
		{"escaped backslash before separator", vcf("4.0", `N:a\\;b;;;`), `N:a\\;b;;;`},
		{"N padded to five components", vcf("2.1", `N:Doe;John`), `N:Doe;John;;;`},
		{"ADR padded to seven components", vcf("3.0", `ADR:;;Street`), `ADR:;;Street;;;;`},
		{"ORG comma escaped", vcf("3.0", `ORG:A, Inc.;Sales`), `ORG:A\, Inc.;Sales`},
		{"N list kept", vcf("4.0", `N:Perreault;Simon;;;ing. jr,M.Sc.`), `N:Perreault;Simon;;;ing. jr,M.Sc.`},
		{"text comma escaped, semicolon not", vcf("3.0", `FN:Smith, John; Jr`), `FN:Smith\, John; Jr`},
		{"text escapes canonical", vcf("3.0", `NOTE:a\:b\;c\Nd\x`), `NOTE:a:b;c\nd\\x`},
		{"trailing backslash literal", vcf("2.1", `NOTE:end\`), `NOTE:end\\`},
		{"categories escaped comma", vcf("3.0", `CATEGORIES:a\,b,c`), `CATEGORIES:a\,b,c`},
		{"uri unescaped", vcf("3.0", `URL:http\://x.org/a\,b`), `URL:http://x.org/a,b`},
		{"uri backslash kept", vcf("4.0", `URL:http://x/\\y`), `URL:http://x/\\y`},
		{"x- property verbatim", vcf("3.0", `item1.X-FOO;X-P=1:a\,b;c\d`), `item1.X-FOO;X-P=1:a\,b;c\d`},
		{"bare 2.1 params", vcf("2.1", `TEL;HOME;VOICE:+49 30 1234`), `TEL;TYPE=home,voice:+49 30 1234`},
		{"bare params in 3.0", vcf("3.0", `TEL;TYPE=VOICE;MSG,WORK:1`), `TEL;TYPE=msg,voice,work:1`},
		{"type pref to PREF=1", vcf("3.0", `EMAIL;TYPE=INTERNET,pref,HOME:a@b`), `EMAIL;PREF=1;TYPE=home:a@b`},
		{"repeated TYPE merged", vcf("3.0", `TEL;type=CELL;type=voice;TYPE=cell:1`), `TEL;TYPE=cell,voice:1`},
		{"quoted TYPE list split", vcf("3.0", `TEL;TYPE="HOME,VOICE":1`), `TEL;TYPE=home,voice:1`},
		{"quoted param value", vcf("4.0", `URL;LABEL="a:b;c":https://x`), `URL;LABEL="a:b;c":https://x`},
		{"param needs no quotes", vcf("4.0", `URL;LABEL="plain":https://x`), `URL;LABEL=plain:https://x`},
		{"RFC 6868 carets", vcf("4.0", `ADR;LABEL="1^n2 ^'q^' ^^":;;;;;;`), `ADR;LABEL=1^n2 ^'q^' ^^:;;;;;;`},
		{"no carets in 2.1", vcf("2.1", `X-A;X-B=a^nb:v`), `X-A;X-B=a^^nb:v`},
		{"empty parameters ignored", vcf("3.0", `X-A;;X-B=1;:v`), `X-A;X-B=1:v`},
		{"VALUE default dropped", vcf("3.0", `BDAY;VALUE=DATE:2000-01-01`, `URL;VALUE=URI:http://x`), "BDAY:2000-01-01\nURL:http://x"},
		{"VALUE non-default kept", vcf("4.0", `TEL;VALUE=uri:tel:+1,2`), `TEL;VALUE=uri:tel:+1,2`},
		{"VALUE=text turns uri to text", vcf("4.0", `RELATED;VALUE=text:a, b`), `RELATED;VALUE=text:a\, b`},
		{"qp soft line breaks", vcf("2.1", "NOTE;ENCODING=QUOTED-PRINTABLE:line one=0D=0A=", "line two"), `NOTE:line one\nline two`},
		{"qp soft break inside escape", vcf("2.1", "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=", "=BCller;Hans;;;"), `N:Müller;Hans;;;`},
		{"qp bare param", vcf("2.1", "NOTE;QUOTED-PRINTABLE:a=3Db"), `NOTE:a=b`},
		{"qp continuation indented", vcf("2.1", "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:", "  =52=C3=BCcker"), `FN:Rücker`},
		{"qp empty soft break line", vcf("2.1", "NOTE;ENCODING=QUOTED-PRINTABLE:x=", "", "TEL:1"), "TEL:1\nNOTE:x"},
		{"qp equals before END", vcf("2.1", "NOTE;ENCODING=QUOTED-PRINTABLE:x="), "NOTE:x="},
		{"latin-1", vcf("2.1", "FN;CHARSET=ISO-8859-1:J\xf6rg"), `FN:Jörg`},
		{"latin-1 quoted charset", vcf("3.0", "FN;CHARSET=\"iso-8859-1\":J\xf6rg"), `FN:Jörg`},
		{"windows-1252 fallback", vcf("3.0", "FN:Caf\xe9 \x80"), `FN:Café €`},
		{"undeclared uses card charset", vcf("2.1", "N;CHARSET=ISO-8859-2:x", "FN:\xb3"), "FN:ł\nN:x;;;;"},
		{"unknown charset fallback", vcf("2.1", "FN;CHARSET=X-BOGUS:Caf\xe9"), `FN:Café`},
		{"utf-8 kept", vcf("4.0", "FN:Zoë 山田"), `FN:Zoë 山田`},
		{"folded line", vcf("4.0", "NOTE:abc", " def", "\tghi"), `NOTE:abcdefghi`},
		{"folded inside parameters", vcf("4.0", `ADR;LABEL="a`, `  b":;;;;;;`), `ADR;LABEL=a b:;;;;;;`},
		{"group kept", vcf("3.0", "item1.EMAIL;type=INTERNET:a@b", "item1.X-ABLabel:_$!<Other>!$_"), "item1.EMAIL:a@b\nitem1.X-ABLABEL:_$!<Other>!$_"},
		{"lowercase names", vcf("2.1", "fn:x", "tel;cell:1"), "FN:x\nTEL;TYPE=cell:1"},
		{"no VERSION", vcf("", "FN:x"), "FN:x"},
		{"VERSION last", "BEGIN:VCARD\nFN:x\nVERSION:2.1\nEND:VCARD\n", "FN:x"},
		{"base64 photo to data uri", vcf("3.0", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/", " 4AA="), "PHOTO:data:image/jpeg;base64,/9j/4AA="},
		{"2.1 base64 indented with blank line", vcf("2.1", "PHOTO;ENCODING=BASE64;TYPE=GIF:", "    R0lG", "    ODlh", "", "TEL:1"), "PHOTO:data:image/gif;base64,R0lGODlh\nTEL:1"},
		{"2.1 base64 not indented", vcf("2.1", "PHOTO;BASE64;JPEG:/9j/", "4AAQ", "SkZJ==", "", "TEL:1"), "PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJ==\nTEL:1"},
		{"base64 sniffed", vcf("2.1", "PHOTO;ENCODING=BASE64:iVBORw0KGgoAAA"), "PHOTO:data:image/png;base64,iVBORw0KGgoAAA"},
		{"base64 unknown type", vcf("3.0", "PHOTO;ENCODING=b:AAAA"), "PHOTO:data:application/octet-stream;base64,AAAA"},
		{"base64 sound", vcf("3.0", "SOUND;ENCODING=b;TYPE=WAVE:AAAA"), "SOUND:data:audio/wave;base64,AAAA"},
		{"base64 x- property", vcf("2.1", "X-PIC;ENCODING=BASE64;TYPE=JPEG:AA AA"), "X-PIC;ENCODING=b;TYPE=jpeg:AAAA"},
		{"photo url keeps type", vcf("3.0", "PHOTO;VALUE=URL;TYPE=JPEG:http://x/a.jpg"), "PHOTO;TYPE=jpeg:http://x/a.jpg"},
		{"geo from 3.0", vcf("3.0", "GEO:37.386013;-122.082932"), "GEO:geo:37.386013,-122.082932"},
		{"geo garbage kept", vcf("3.0", "GEO:north;south"), "GEO:north;south"},
		{"AGENT nested card", vcf("2.1", "AGENT:", "BEGIN:VCARD", "FN:Boss, Big", "END:VCARD", "TEL:1"), "TEL:1\nAGENT:BEGIN:VCARD\\nFN:Boss\\, Big\\nEND:VCARD"},
		{"comment lines skipped", vcf("2.1", "# comment", "FN:x"), "FN:x"},
		{"backslash continuation", vcf("2.1", `NOTE:a\`, "b"), `NOTE:a\nb`},
		{"blank lines inside card", vcf("3.0", "FN:x", "", "  ", "TEL:1"), "FN:x\nTEL:1"},
		{"CRCRLF line ends", "BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:x\r\r\n y\r\r\nEND:VCARD\r\r\n", "FN:xy"},
		{"lone CR line ends", "BEGIN:VCARD\rVERSION:3.0\rFN:x\rEND:VCARD\r", "FN:x"},
		{"property order canonical", vcf("4.0", "X-Z:1", "EMAIL:b", "TEL:2", "EMAIL:a", "FN:x"), "FN:x\nTEL:2\nEMAIL:b\nEMAIL:a\nX-Z:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.in)
			if got := body(t, c); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			checkRoundTrip(t, c, Version40)
			checkRoundTrip(t, c, Version30)
		})
	}
}

// TestParseAccessors checks the decoded views of values.
func TestParseAccessors(t *testing.T) {
	c := mustParse(t, vcf("3.0",
		`N:O\;Brien;Pat;;;`,
		`CATEGORIES:a\,b,c,d\\`,
		`NOTE:two\nlines\, one note`,
		`URL;LABEL="a:b;c":https://x`,
		`ORG:ACME\, Inc.;R\;D`,
	))
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"N components", c.Get("N").Components(), []string{"O;Brien", "Pat", "", "", ""}},
		{"categories list", c.Get("CATEGORIES").List(), []string{"a,b", "c", `d\`}},
		{"note text", c.Value("NOTE"), "two\nlines, one note"},
		{"quoted param", c.Get("URL").Param("label"), "a:b;c"},
		{"url value", c.Value("URL"), "https://x"},
		{"org components", c.Get("ORG").Components(), []string{"ACME, Inc.", "R;D"}},
		{"source version", c.Version, Version30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

// TestParseLegacyEncodings covers whole-file and per-value encodings built
// with golang.org/x/text, so the bytes are right by construction.
func TestParseLegacyEncodings(t *testing.T) {
	// 能 and 表 are 0x94 0x5C and 0x95 0x5C in Shift_JIS: the second byte is
	// a backslash, which must not be read as an escape.
	sjis := func(s string) string {
		b, err := japanese.ShiftJIS.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16 := func(e unicode.Endianness, bom unicode.BOMPolicy, s string) string {
		b, err := unicode.UTF16(e, bom).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plain := vcf("3.0", "FN:Zoë 能", "N:能;表;;;")
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"shift_jis 2.1", vcf("2.1", "N;CHARSET=SHIFT_JIS:"+sjis(`能登;表\;示`)+";;;", "FN;CHARSET=SHIFT_JIS:"+sjis("能登 表")), "FN:能登 表\nN:能登;表\\;示;;;"},
		{"shift_jis qp", vcf("2.1", "NOTE;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=83=81=83=82"), "NOTE:メモ"},
		{"shift_jis undeclared line", vcf("2.1", "N;CHARSET=SHIFT_JIS:"+sjis("能")+";;;;", "NOTE:"+sjis("表")), "N:能;;;;\nNOTE:表"},
		{"utf-16le bom", utf16(unicode.LittleEndian, unicode.UseBOM, plain), "FN:Zoë 能\nN:能;表;;;"},
		{"utf-16be bom", utf16(unicode.BigEndian, unicode.UseBOM, plain), "FN:Zoë 能\nN:能;表;;;"},
		{"utf-16be no bom", utf16(unicode.BigEndian, unicode.IgnoreBOM, plain), "FN:Zoë 能\nN:能;表;;;"},
		{"utf-16le no bom", utf16(unicode.LittleEndian, unicode.IgnoreBOM, plain), "FN:Zoë 能\nN:能;表;;;"},
		{"utf-8 bom", "\xef\xbb\xbf" + plain, "FN:Zoë 能\nN:能;表;;;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.in)
			if got := body(t, c); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestParseErrors checks that broken cards are reported with their line and
// that the good cards around them still parse.
func TestParseErrors(t *testing.T) {
	good := vcf("3.0", "FN:good")
	tests := []struct {
		name     string
		in       string
		cards    int
		errLines []int
		sentinel error
	}{
		{"empty input", "", 0, []int{0}, ErrNoCard},
		{"only blank lines", "\r\n\r\n", 0, []int{0}, ErrNoCard},
		{"not a vcard", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", 0, []int{1}, ErrMalformed},
		{"garbage between cards", good + "junk\r\nmore junk\r\n" + good, 2, []int{5}, ErrMalformed},
		{"missing END at EOF", good + "BEGIN:VCARD\r\nFN:x\r\n", 1, []int{5}, ErrMalformed},
		{"missing END before next card", "BEGIN:VCARD\r\nFN:x\r\n" + good, 1, []int{1}, ErrMalformed},
		{"line without colon", good + vcf("3.0", "FN:x", "garbage") + good, 2, []int{8}, ErrMalformed},
		{"invalid property name", vcf("3.0", "F N:x"), 0, []int{3}, ErrMalformed},
		{"invalid group", vcf("3.0", "a.b.FN:x"), 0, []int{3}, ErrMalformed},
		{"unterminated quote", vcf("4.0", `URL;LABEL="abc:x`) + good, 1, []int{3}, ErrMalformed},
		{"bad parameter name", vcf("4.0", `TEL;A B=1:x`), 0, []int{3}, ErrMalformed},
		{"continuation first", "BEGIN:VCARD\r\n FN:x\r\nEND:VCARD\r\n", 0, []int{2}, ErrMalformed},
		{"unterminated agent", "BEGIN:VCARD\r\nAGENT:\r\nBEGIN:VCARD\r\nFN:x\r\n", 0, []int{3}, ErrMalformed},
		{"END without BEGIN", "END:VCARD\r\n" + good, 1, []int{1}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards, errs := ParseAll("in.vcf", []byte(tt.in))
			if len(cards) != tt.cards {
				t.Errorf("got %d cards, want %d", len(cards), tt.cards)
			}
			var lines []int
			for _, err := range errs {
				pe := checkParseError(t, "in.vcf", err)
				lines = append(lines, pe.Line)
				if !errors.Is(err, tt.sentinel) {
					t.Errorf("%v is not %v", err, tt.sentinel)
				}
			}
			if !reflect.DeepEqual(lines, tt.errLines) {
				t.Errorf("error lines %v, want %v: %v", lines, tt.errLines, errs)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	big := strings.Repeat("A", 76)
	var b strings.Builder
	b.WriteString("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:big\r\nPHOTO;ENCODING=b;TYPE=JPEG:\r\n")
	for b.Len() < MaxCardSize+100 {
		b.WriteString(" " + big + "\r\n")
	}
	b.WriteString("END:VCARD\r\n")
	in := b.String() + vcf("3.0", "FN:small")
	cards, errs := ParseAll("big.vcf", []byte(in))
	if len(cards) != 1 || cards[0].Value("FN") != "small" {
		t.Errorf("got %d cards, want the small one", len(cards))
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrCardTooLarge) {
		t.Fatalf("errors %v, want one ErrCardTooLarge", errs)
	}
	checkParseError(t, "big.vcf", errs[0])
}

func TestParseOne(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"one", vcf("4.0", "FN:x"), false},
		{"two", vcf("4.0", "FN:x") + vcf("4.0", "FN:y"), true},
		{"none", "", true},
		{"broken", vcf("4.0", "FN"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestParseErrorsNameNoData guards the rule that messages carry no values.
func TestParseErrorsNameNoData(t *testing.T) {
	secret := "Jane Secretperson"
	inputs := []string{
		vcf("3.0", "FN:"+secret, secret),
		vcf("3.0", `X-A;LABEL="`+secret+`:x`),
		vcf("3.0", secret+";x=1"),
		"BEGIN:VCARD\r\nFN:" + secret + "\r\n",
		secret + "\r\n",
	}
	for i, in := range inputs {
		_, errs := ParseAll("f.vcf", []byte(in))
		if len(errs) == 0 {
			t.Errorf("input %d: no error", i)
		}
		for _, err := range errs {
			if strings.Contains(strings.ToLower(err.Error()), "secret") {
				t.Errorf("input %d: error %q quotes contact data", i, err)
			}
		}
	}
}
