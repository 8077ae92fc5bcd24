package mapping

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const corpusDir = "../testdata/vcards"

// corpusFile is one row of testdata/vcards/SOURCES.md.
type corpusFile struct {
	name      string
	cards     int  // BEGIN:VCARD lines, per the Cards column
	malformed bool // Notes says MALFORMED or INVALID
}

// readCorpus lists the corpus from SOURCES.md, so that files added there
// (the held-back acceptance set) are checked by the same rules.
func readCorpus(t testing.TB) []corpusFile {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "SOURCES.md"))
	if err != nil {
		t.Fatalf("corpus index: %v", err)
	}
	defer f.Close()
	var files []corpusFile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cols := strings.Split(line, "|")
		if len(cols) < 12 {
			t.Fatalf("SOURCES.md row with %d columns: %q", len(cols), line)
		}
		n, err := strconv.Atoi(strings.TrimSpace(cols[8]))
		if err != nil {
			t.Fatalf("SOURCES.md cards column %q: %v", cols[8], err)
		}
		notes := cols[10]
		files = append(files, corpusFile{
			name:      strings.Trim(strings.TrimSpace(cols[1]), "`"),
			cards:     n,
			malformed: strings.Contains(notes, "MALFORMED") || strings.Contains(notes, "INVALID"),
		})
	}
	if len(files) == 0 {
		t.Fatal("SOURCES.md lists no files")
	}
	// Every .vcf in the folder must be listed, and the other way round.
	onDisk, _ := filepath.Glob(filepath.Join(corpusDir, "*.vcf"))
	if len(onDisk) != len(files) {
		t.Errorf("SOURCES.md lists %d files, folder holds %d", len(files), len(onDisk))
	}
	return files
}

// knownMessages are all messages a ParseError may carry (after an optional
// "NAME: " prefix). Checking against the list proves no error quotes data.
var knownMessages = []string{
	"text outside BEGIN:VCARD and END:VCARD",
	"card has no END:VCARD",
	"card has no END:VCARD before the next BEGIN:VCARD",
	"card is larger than 10 MiB",
	"continuation line without a property before it",
	"unterminated vCard inside AGENT",
	"line has no ':'",
	"invalid property name",
	"invalid parameter name",
	"parameter without a name",
	"unterminated quoted parameter value",
	"quoted parameter value without a name",
	"malformed parameters",
	"no BEGIN:VCARD found",
}

var errShape = regexp.MustCompile(`^vcard: (\S+?)(?: line (\d+))?: (?:([A-Z0-9-]+|property): )?(.+)$`)

// checkParseError asserts err is a *ParseError naming src and, when tied to
// a line, the line, with a message from knownMessages.
func checkParseError(t *testing.T, src string, err error) *ParseError {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is %T, want *ParseError", err, err)
	}
	m := errShape.FindStringSubmatch(err.Error())
	if m == nil || m[1] != src {
		t.Fatalf("error %q does not name source %q", err, src)
	}
	if pe.Line > 0 && m[2] != strconv.Itoa(pe.Line) {
		t.Errorf("error %q does not name line %d", err, pe.Line)
	}
	found := false
	for _, k := range knownMessages {
		if m[4] == k {
			found = true
		}
	}
	if !found {
		t.Errorf("error %q has an unexpected message %q", err, m[4])
	}
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrCardTooLarge) && !errors.Is(err, ErrNoCard) {
		t.Errorf("error %q wraps no sentinel", err)
	}
	return pe
}

// inWriteOrder returns c's properties in the order Marshal writes them.
func inWriteOrder(c *Card) []Property {
	out := make([]Property, 0, len(c.Props))
	for _, i := range writeOrder(c.Props) {
		out = append(out, c.Props[i])
	}
	return out
}

// samePropsExact reports the first difference between two property lists.
func diffProps(a, b []Property) string {
	if len(a) != len(b) {
		return "property count " + strconv.Itoa(len(a)) + " != " + strconv.Itoa(len(b))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("property %d differs:\n%.300q\n%.300q", i, fmt.Sprint(a[i]), fmt.Sprint(b[i]))
		}
	}
	return ""
}

// checkRoundTrip asserts that c survives serialisation to v and back with
// no property, parameter or value lost, and with the same hash.
func checkRoundTrip(t *testing.T, c *Card, v Version) {
	t.Helper()
	data, err := c.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %s: %v", v, err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatalf("reparse of %s output: %v", v, err)
	}
	if d := diffProps(inWriteOrder(c), back.Props); d != "" {
		t.Errorf("%s round trip: %s", v, d)
	}
	if back.Hash() != c.Hash() {
		t.Errorf("%s round trip changed the hash", v)
	}
	again, err := back.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("%s output is not a fixed point", v)
	}
	checkWireFormat(t, data)
}

// checkWireFormat asserts CRLF line ends and 75-octet folding.
func checkWireFormat(t *testing.T, data []byte) {
	t.Helper()
	s := string(data)
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatal("output does not end with CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("output line %d has %d octets", i+1, len(line))
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("output line %d holds a bare CR or LF", i+1)
		}
	}
}

func TestCorpus(t *testing.T) {
	for _, cf := range readCorpus(t) {
		t.Run(cf.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, cf.name))
			if err != nil {
				t.Fatal(err)
			}
			cards, errs := ParseAll(cf.name, data)
			for _, err := range errs {
				checkParseError(t, cf.name, err)
			}
			switch {
			case cf.malformed:
				if len(errs) == 0 {
					t.Logf("malformed file recovered: %d cards", len(cards))
				}
			case len(errs) > 0:
				t.Errorf("well-formed file: %v", errs)
			case len(cards) != cf.cards:
				t.Errorf("got %d cards, SOURCES.md says %d", len(cards), cf.cards)
			}
			for i, c := range cards {
				t.Run("card"+strconv.Itoa(i+1), func(t *testing.T) {
					checkRoundTrip(t, c, Version40)
					checkRoundTrip(t, c, Version30)
				})
			}
		})
	}
}

// TestCorpusMalformed pins how each deliberately broken file is handled:
// the error (file and line) or the recovery, and that its good cards parse.
func TestCorpusMalformed(t *testing.T) {
	tests := []struct {
		file      string
		cards     int
		errLines  []int // lines the errors name, in order
		wantInErr error
	}{
		{"aosp-vcard-v21_adr_multiple_line.vcf", 1, nil, nil},    // backslash continuation joined
		{"aosp-vcard-v21_invalid_comment_line.vcf", 1, nil, nil}, // '#' lines skipped
		{"aosp-vcard-v21_malformed_photo.vcf", 1, nil, nil},      // bad base64 kept as data
		{"caldavtester-vcarderrors-4.vcf", 0, []int{1}, ErrMalformed},
		{"caldavtester-verrors-3.vcf", 0, []int{10}, ErrMalformed},
		{"eds-vcard-11.vcf", 1, nil, nil}, // empty parameters ignored
		{"eds-vcard-6.vcf", 1, nil, nil},  // bare and trailing-comma TYPE values
		{"eds-vcard-8.vcf", 0, []int{1}, ErrMalformed},
		{"eds-vcard-9.vcf", 0, []int{1}, ErrMalformed},
		{"gammu-char-escaping.vcf", 1, nil, nil},
		{"gammu-line-continuation.vcf", 1, nil, nil},
		{"kcontacts-vcard9.vcf", 1, nil, nil}, // unfolding restores the UTF-8
		{"node-vcf-empty-lines.vcf", 1, nil, nil},
		{"radicale-broken-vcard.vcf", 1, nil, nil},
		{"radicale-broken-vcards.vcf", 2, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			cards, errs := ParseAll(tt.file, data)
			if len(cards) != tt.cards {
				t.Errorf("got %d cards, want %d", len(cards), tt.cards)
			}
			var lines []int
			for _, err := range errs {
				pe := checkParseError(t, tt.file, err)
				lines = append(lines, pe.Line)
				if !errors.Is(err, tt.wantInErr) {
					t.Errorf("error %v is not %v", err, tt.wantInErr)
				}
			}
			if !reflect.DeepEqual(lines, tt.errLines) {
				t.Errorf("errors at lines %v, want %v (%v)", lines, tt.errLines, errs)
			}
		})
	}
}

// TestCorpusContent spot-checks decoded values of files that exercise the
// go-vcard bugs this package works around.
func TestCorpusContent(t *testing.T) {
	tests := []struct {
		file string
		card int
		prop string
		want string // Text() of the first such property, or Components joined by "|"
		comp bool
	}{
		{"aosp-vcard-v30_japanese.vcf", 0, "N", "伊能|圭一|伊予||", true},
		{"aosp-vcard-v21_japanese_2.vcf", 0, "NOTE", "メモ", false},
		{"aosp-vcard-v21_multiple_entry.vcf", 2, "TEL", "17", false},
		{"gammu-quoted-printable-new-line.vcf", 0, "N", "- PRIMA|ПОРКС|||", true},
		{"gammu-quoted-printable-empty-new-line.vcf", 0, "N", "Hörmann|Joseph|||", true},
		{"gammu-line-continuation.vcf", 0, "N", "Nikdo|Nikdovic|||", true},
		{"gaia-vcard_2_qp.vcf", 1, "N", "Rücker|Thomas|||", true},
		{"kcontacts-vcard7.vcf", 0, "LABEL", "401 Park Drive  3 West\nBoston, MA 02215\nUSA\nHerecomesyetanotherline", false},
		{"vpim-my-ensemble.vcf", 0, "FN", "Ensemble Indépendant", false},
		{"node-vcf-xing.vcf", 0, "N", "Mustermann|Hans-Peter|||", true},
		{"aosp-vcard-v21_adr_multiple_line.vcf", 0, "ADR", "||Grindelberg 999|Hamburg||99999|Deutschland", true},
		{"caldavtester-vcarderrors-6.vcf", 0, "ADR", "||1100 Holly St.|Mountain Top, CA 99999|||", true},
		{"kcontacts-vcard9.vcf", 0, "N", "123ㄓㄕㄖbcdeαβγδαβγδαβγδαβγδαβγδαβγδαβㄤㄓㄕㄖ||||", true},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.prop, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			cards, _ := ParseAll(tt.file, data)
			if tt.card >= len(cards) {
				t.Fatalf("only %d cards", len(cards))
			}
			p := cards[tt.card].Get(tt.prop)
			if p == nil {
				t.Fatalf("no %s", tt.prop)
			}
			got := p.Text()
			if tt.comp {
				got = strings.Join(p.Components(), "|")
			}
			if got != tt.want {
				t.Errorf("%s = %q, want %q", tt.prop, got, tt.want)
			}
		})
	}
}
