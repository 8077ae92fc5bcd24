package mapping

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMarshalFolding(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"short", "abc"},
		{"exactly 75 octets", strings.Repeat("x", 75-len("NOTE:"))},
		{"76 octets", strings.Repeat("x", 76-len("NOTE:"))},
		{"long ascii", strings.Repeat("0123456789", 40)},
		{"two-byte runes", strings.Repeat("ü", 200)},
		{"three-byte runes", strings.Repeat("能", 200)},
		{"four-byte runes", strings.Repeat("😀", 100)},
		{"mixed offsets", "x" + strings.Repeat("éa能😀", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Card{}
			p := Property{Name: "NOTE"}
			p.SetText(tt.value)
			c.Add(p)
			data, err := c.Marshal(Version40)
			if err != nil {
				t.Fatal(err)
			}
			checkWireFormat(t, data)
			for _, line := range strings.Split(string(data), "\r\n") {
				if !utf8.ValidString(line) {
					t.Errorf("physical line splits a UTF-8 sequence: %q", line)
				}
			}
			back := mustParse(t, string(data))
			if got := back.Value("NOTE"); got != tt.value {
				t.Errorf("unfolded value differs: got %d bytes, want %d", len(got), len(tt.value))
			}
		})
	}
}

// TestMarshalEscaping builds properties in code and checks the content line
// written for each value kind.
func TestMarshalEscaping(t *testing.T) {
	prop := func(name string, set func(p *Property), params ...Param) Property {
		p := Property{Name: name, Params: params}
		set(&p)
		return p
	}
	tests := []struct {
		name string
		prop Property
		want string
	}{
		{"text", prop("FN", func(p *Property) { p.SetText("Smith, John; Jr.\\") }), `FN:Smith\, John; Jr.\\`},
		{"text newline", prop("NOTE", func(p *Property) { p.SetText("a\r\nb\nc") }), `NOTE:a\nb\nc`},
		{"structured", prop("N", func(p *Property) { p.SetComponents("O;Brien", "Pat, Jr", "", "", "") }), `N:O\;Brien;Pat\, Jr;;;`},
		{"structured padded", prop("ADR", func(p *Property) { p.SetComponents("", "", "Main St") }), `ADR:;;Main St;;;;`},
		{"list", prop("CATEGORIES", func(p *Property) { p.SetList("a,b", "c;d", "e") }), `CATEGORIES:a\,b,c;d,e`},
		{"uri", prop("URL", func(p *Property) { p.SetText(`http://x/a,b;c\d`) }), `URL:http://x/a,b;c\\d`},
		{"param quoted colon", prop("URL", func(p *Property) { p.SetText("https://x") }, Param{"LABEL", []string{"a:b"}}), `URL;LABEL="a:b":https://x`},
		{"param quoted semicolon", prop("X-A", func(p *Property) { p.Value = "v" }, Param{"X-P", []string{"a;b"}}), `X-A;X-P="a;b":v`},
		{"param quoted comma", prop("X-A", func(p *Property) { p.Value = "v" }, Param{"X-P", []string{"a,b", "c"}}), `X-A;X-P="a,b",c:v`},
		{"param carets", prop("X-A", func(p *Property) { p.Value = "v" }, Param{"X-P", []string{"say \"hi\"^\nbye"}}), `X-A;X-P=say ^'hi^'^^^nbye:v`},
		{"param name upper", prop("TEL", func(p *Property) { p.Value = "1" }, Param{"type", []string{"HOME", "Voice", "home"}}), `TEL;TYPE=home,voice:1`},
		{"param sorted", prop("TEL", func(p *Property) { p.Value = "1" }, Param{"X-Z", []string{"1"}}, Param{"TYPE", []string{"cell"}}, Param{"PREF", []string{"1"}}), `TEL;PREF=1;TYPE=cell;X-Z=1:1`},
		{"group", Property{Group: "item1", Name: "email", Value: "a@b"}, `item1.EMAIL:a@b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Card{Props: []Property{tt.prop}}
			if got := body(t, c); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			// Hash of the card as built equals hash after a round trip.
			back := mustParse(t, string(mustMarshal(t, c, Version40)))
			if back.Hash() != c.Hash() {
				t.Error("hash changed through Marshal and Parse")
			}
		})
	}
}

func mustMarshal(t testing.TB, c *Card, v Version) []byte {
	t.Helper()
	b, err := c.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMarshal30 pins the 3.0 form of 4.0 properties, and that reading it
// back gives the 4.0 card again.
func TestMarshal30(t *testing.T) {
	tests := []struct {
		name string
		in   string // 4.0 lines
		want string // 3.0 lines
	}{
		{"data uri photo", "PHOTO:data:image/jpeg;base64,/9j/AA==", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/AA=="},
		{"data uri png with type", "PHOTO;TYPE=work:data:image/png;base64,iVBO", "PHOTO;ENCODING=b;TYPE=PNG,work:iVBO"},
		{"data uri with mediatype param", "LOGO;MEDIATYPE=image/gif:data:image/gif;base64,R0lG", "LOGO;ENCODING=b;MEDIATYPE=image/gif;TYPE=GIF:R0lG"},
		{"data uri sound", "SOUND:data:audio/ogg;base64,AAAA", "SOUND;ENCODING=b;TYPE=OGG:AAAA"},
		{"data uri key", "KEY:data:application/pgp-keys;base64,AAAA", "KEY;ENCODING=b;TYPE=PGP-KEYS:AAAA"},
		{"photo url", "PHOTO:https://x/a.jpg", "PHOTO;VALUE=uri:https://x/a.jpg"},
		{"non-image data uri", "PHOTO:data:application/octet-stream;base64,AAAA", "PHOTO;VALUE=uri:data:application/octet-stream;base64,AAAA"},
		{"data uri not base64", "PHOTO:data:image/svg+xml,<svg/>", "PHOTO;VALUE=uri:data:image/svg+xml,<svg/>"},
		{"data uri jpg stays uri", "PHOTO:data:image/jpg;base64,AAAA", "PHOTO;VALUE=uri:data:image/jpg;base64,AAAA"},
		{"pref 1", "EMAIL;PREF=1;TYPE=work:a@b", "EMAIL;TYPE=work,pref:a@b"},
		{"pref 2 kept", "EMAIL;PREF=2:a@b", "EMAIL;PREF=2:a@b"},
		{"geo", "GEO:geo:46.772673,-71.282945", "GEO:46.772673;-71.282945"},
		{"geo with altitude", "GEO:geo:1,2,3", "GEO:geo:1,2,3"},
		{"text unchanged", `N:O\;Brien;Pat;;;`, `N:O\;Brien;Pat;;;`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, vcf("4.0", tt.in))
			data := mustMarshal(t, c, Version30)
			got := strings.ReplaceAll(string(data), "\r\n ", "")
			want := "BEGIN:VCARD\r\nVERSION:3.0\r\n" + tt.want + "\r\nEND:VCARD\r\n"
			if got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			back := mustParse(t, string(data))
			if d := diffProps(c.Props, back.Props); d != "" {
				t.Errorf("4.0 → 3.0 → 4.0: %s", d)
			}
			if back.Hash() != c.Hash() {
				t.Error("4.0 → 3.0 → 4.0 changed the hash")
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name    string
		card    *Card
		version Version
		want    error
	}{
		{"version 2.1", &Card{}, Version21, ErrUnsupportedVersion},
		{"empty name", &Card{Props: []Property{{Value: "x"}}}, Version40, ErrMalformed},
		{"bad name", &Card{Props: []Property{{Name: "F N", Value: "x"}}}, Version40, ErrMalformed},
		{"bad group", &Card{Props: []Property{{Group: "a.b", Name: "FN"}}}, Version40, ErrMalformed},
		{"bad param", &Card{Props: []Property{{Name: "FN", Params: []Param{{"A:B", []string{"1"}}}}}}, Version30, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.card.Marshal(tt.version)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestMarshalSkipsStructural ignores BEGIN, END and VERSION put into Props.
func TestMarshalSkipsStructural(t *testing.T) {
	c := &Card{Props: []Property{{Name: "VERSION", Value: "2.1"}, {Name: "FN", Value: "x"}, {Name: "END", Value: "VCARD"}}}
	if got := body(t, c); got != "FN:x" {
		t.Errorf("got %q", got)
	}
}

// TestMarshalDoesNotModify checks Marshal and Hash leave a built card alone.
func TestMarshalDoesNotModify(t *testing.T) {
	c := &Card{Props: []Property{{Name: "tel", Params: []Param{{"type", []string{"HOME", "pref"}}, {"VALUE", []string{"url"}}}, Value: "1"}}}
	before := c.Clone()
	mustMarshal(t, c, Version40)
	mustMarshal(t, c, Version30)
	c.Hash()
	Diff(c, c)
	if d := diffProps(before.Props, c.Props); d != "" {
		t.Error(d)
	}
}
