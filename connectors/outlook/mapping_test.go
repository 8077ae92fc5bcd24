package outlook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
	"github.com/contactbridge/contactbridge/mapping"
)

// mappingCorpusDir holds the vCard corpus (the same files as the shared
// testdata/vcards).
const mappingCorpusDir = "../../testdata/vcards"

// testCard parses the body lines of a vCard 4.0.
func testCard(t *testing.T, lines ...string) *mapping.Card {
	t.Helper()
	text := "BEGIN:VCARD\r\nVERSION:4.0\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n"
	c, err := mapping.Parse([]byte(text))
	if err != nil {
		t.Fatalf("test card: %v", err)
	}
	return c
}

// cardText writes c as vCard 4.0 for failure messages.
func cardText(c *mapping.Card) string {
	b, err := c.Marshal(mapping.Version40)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// cardKeys are the canonical lines of c (mapping.PropertyKey), sorted,
// without REV and PRODID, which the hash ignores; a grouped property is
// marked so; long values (photos) are cut.
func cardKeys(c *mapping.Card) []string {
	var keys []string
	for _, p := range c.Props {
		if n := strings.ToUpper(p.Name); n == "REV" || n == "PRODID" {
			continue
		}
		k := mapping.PropertyKey(p)
		if len(k) > 120 {
			k = k[:117] + "..."
		}
		if p.Group != "" {
			k = "<grouped>." + k
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cardDiff lists the lines only want has (-) and only got has (+).
func cardDiff(want, got *mapping.Card) string {
	kw, kg := cardKeys(want), cardKeys(got)
	var out []string
	for _, k := range kw {
		if i := slices.Index(kg, k); i >= 0 {
			kg = slices.Delete(kg, i, i+1)
		} else {
			out = append(out, "- "+k)
		}
	}
	for _, k := range kg {
		out = append(out, "+ "+k)
	}
	if len(out) == 0 {
		return "(same lines: groups or long values differ)"
	}
	return strings.Join(out, "\n")
}

// wantSameCard fails t unless want and got have the same canonical hash.
func wantSameCard(t *testing.T, what string, want, got *mapping.Card) {
	t.Helper()
	if want.Hash() != got.Hash() {
		t.Errorf("%s: cards differ\n%s\nwant:\n%sgot:\n%s", what, cardDiff(want, got), cardText(want), cardText(got))
	}
}

// writtenJSON is writeBody(c) as JSON, keys sorted: two contacts with the
// same bodyJSON write the same.
func writtenJSON(t *testing.T, c *Contact) string {
	t.Helper()
	b, err := json.Marshal(writeBody(c))
	if err != nil {
		t.Fatalf("writeBody does not marshal: %v", err)
	}
	return string(b)
}

// corpusCard is one card of the corpus, named by its file and position.
type corpusCard struct {
	name string
	card *mapping.Card
}

// corpusCards reads every card of the corpus the way the Google
// connector's test does: each file with mapping.ParseAll, keeping the
// cards that parse.
func corpusCards(t *testing.T) []corpusCard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(mappingCorpusDir, "*.vcf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", mappingCorpusDir, err)
	}
	var out []corpusCard
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cards, _ := mapping.ParseAll(filepath.Base(f), data)
		for i, c := range cards {
			out = append(out, corpusCard{name: fmt.Sprintf("%s-%d", strings.TrimSuffix(filepath.Base(f), ".vcf"), i+1), card: c})
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d cards in the corpus", len(out))
	}
	return out
}

// ---------------------------------------------------------------------------
// A mailbox of the fake Graph server.

// graphMailbox is a graphtest mailbox with an access token for it.
type graphMailbox struct {
	t     *testing.T
	srv   *graphtest.Server
	user  *graphtest.User
	token string
}

func newGraphMailbox(t *testing.T, opts graphtest.Options) *graphMailbox {
	t.Helper()
	srv := graphtest.New(opts)
	t.Cleanup(srv.Close)
	m := &graphMailbox{t: t, srv: srv, user: srv.AddUser("refresh")}
	res, err := srv.Client().PostForm(srv.TokenURL("common"), url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {"refresh"}, "client_id": {"6731de76-14a6-49ae-97bc-6eba6914391e"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", res.StatusCode, err)
	}
	m.token = tok.AccessToken
	return m
}

// do sends a Graph request with the mailbox's token and returns the status
// and body.
func (m *graphMailbox) do(method, path, contentType string, body []byte) (int, []byte) {
	m.t.Helper()
	req, err := http.NewRequest(method, m.srv.URL()+path, bytes.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+m.token)
	req.Header.Set("Prefer", `IdType="ImmutableId"`)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := m.srv.Client().Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		m.t.Fatal(err)
	}
	return res.StatusCode, b
}

// send POSTs (id "") or PATCHes body and returns the contact Graph
// answers with.
func (m *graphMailbox) send(id string, body map[string]any) *Contact {
	m.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		m.t.Fatal(err)
	}
	method, path, want := http.MethodPost, "/me/contacts", http.StatusCreated
	if id != "" {
		method, path, want = http.MethodPatch, "/me/contacts/"+url.PathEscape(id), http.StatusOK
	}
	status, answer := m.do(method, path, "application/json", raw)
	if status != want {
		m.t.Fatalf("%s %s: %d %s\nbody: %s", method, path, status, answer, raw)
	}
	var c Contact
	if err := json.Unmarshal(answer, &c); err != nil {
		m.t.Fatalf("%s answer: %v", method, err)
	}
	return &c
}

// putPhoto uploads a photo as the connector does.
func (m *graphMailbox) putPhoto(id string, data []byte) {
	m.t.Helper()
	if status, answer := m.do(http.MethodPut, "/me/contacts/"+url.PathEscape(id)+"/photo/$value", "image/jpeg", data); status != http.StatusOK {
		m.t.Fatalf("photo PUT: %d %s", status, answer)
	}
}

// get reads the contact id and its photo over HTTP, as the connector
// does, and converts them to a card.
func (m *graphMailbox) get(id string) *mapping.Card {
	m.t.Helper()
	status, answer := m.do(http.MethodGet, "/me/contacts/"+url.PathEscape(id), "", nil)
	if status != http.StatusOK {
		m.t.Fatalf("GET: %d %s", status, answer)
	}
	var c Contact
	if err := json.Unmarshal(answer, &c); err != nil {
		m.t.Fatal(err)
	}
	card, err := toCard(&c)
	if err != nil {
		m.t.Fatal(err)
	}
	switch status, photo := m.do(http.MethodGet, "/me/contacts/"+url.PathEscape(id)+"/photo/$value", "", nil); status {
	case http.StatusOK:
		setPhoto(card, photo)
	case http.StatusNotFound:
	default:
		m.t.Fatalf("photo GET: %d %s", status, photo)
	}
	return card
}

// put stores body through User.Put, as if typed in Outlook, converting
// the JSON to graphtest's contact type, and returns the id.
func (m *graphMailbox) put(body any) string {
	m.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		m.t.Fatal(err)
	}
	var gc graphtest.Contact
	if err := json.Unmarshal(raw, &gc); err != nil {
		m.t.Fatalf("graphtest.Contact from %s: %v", raw, err)
	}
	return m.user.Put(gc)
}

// stored reads the contact id through User.Contact and User.Photo and
// converts it to a card.
func (m *graphMailbox) stored(id string) *mapping.Card {
	m.t.Helper()
	gc, ok := m.user.Contact(id)
	if !ok {
		m.t.Fatalf("contact %s not in the mailbox", id)
	}
	raw, err := json.Marshal(gc)
	if err != nil {
		m.t.Fatal(err)
	}
	var c Contact
	if err := json.Unmarshal(raw, &c); err != nil {
		m.t.Fatal(err)
	}
	card, err := toCard(&c)
	if err != nil {
		m.t.Fatal(err)
	}
	if data, _, ok := m.user.Photo(id); ok {
		setPhoto(card, data)
	}
	return card
}

// ---------------------------------------------------------------------------
// The reference table, row by row.

// namedRow gives a row its name: displayName "Ada Lovelace" and FN, unless
// the row has a displayName or FN of its own.
func namedRow(c Contact, lines []string) (Contact, []string) {
	if c.DisplayName == "" && !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "FN") }) {
		c.DisplayName = "Ada Lovelace"
		lines = append([]string{"FN:Ada Lovelace"}, lines...)
	}
	return c, lines
}

// TestMappingRows checks each row of the Graph → vCard table both ways:
// toCard(contact) is the card, and fromCard(card) writes the contact.
func TestMappingRows(t *testing.T) {
	rows := []struct {
		name    string
		contact Contact
		card    []string
	}{
		{"name parts", Contact{DisplayName: "Ada Lovelace", GivenName: "Ada", Surname: "Lovelace", MiddleName: "Augusta",
			Title: "Countess", Generation: "II"},
			[]string{"FN:Ada Lovelace", "N:Lovelace;Ada;Augusta;Countess;II"}},
		{"display name", Contact{DisplayName: "The Enchantress of Numbers"}, []string{"FN:The Enchantress of Numbers"}},
		{"nickname", Contact{NickName: "Addie"}, []string{"NICKNAME:Addie"}},
		{"nicknames", Contact{NickName: "Addie, Birdie"}, []string{"NICKNAME:Addie,Birdie"}},
		{"initials", Contact{Initials: "A.A.L."}, []string{"X-MS-INITIALS:A.A.L."}},
		{"yomi", Contact{YomiGivenName: "エイダ", YomiSurname: "ラブレス", YomiCompanyName: "アナリティカル"},
			[]string{"X-PHONETIC-FIRST-NAME:エイダ", "X-PHONETIC-LAST-NAME:ラブレス", "X-PHONETIC-ORG:アナリティカル"}},
		{"file as", Contact{FileAs: "Lovelace, Ada"}, []string{`SORT-STRING:Lovelace\, Ada`}},
		{"emails", Contact{EmailAddresses: []EmailAddress{{Address: "ada@example.org"}, {Address: "ada@work.example"},
			{Address: "countess@example.net"}}},
			[]string{"EMAIL:ada@example.org", "EMAIL:ada@work.example", "EMAIL:countess@example.net"}},
		{"email display-as", Contact{EmailAddresses: []EmailAddress{{Name: "Ada at the Society", Address: "ada@rs.example"}}},
			[]string{`EMAIL;X-MS-DISPLAY-NAME=Ada at the Society:ada@rs.example`}},
		{"business phones", Contact{BusinessPhones: []string{"+44 20 7946 0001", "+44 20 7946 0002"}},
			[]string{"TEL;TYPE=work:+44 20 7946 0001", "TEL;TYPE=work:+44 20 7946 0002"}},
		{"home phones", Contact{HomePhones: []string{"+44 20 7946 0003", "+44 20 7946 0004"}},
			[]string{"TEL;TYPE=home:+44 20 7946 0003", "TEL;TYPE=home:+44 20 7946 0004"}},
		{"mobile phone", Contact{MobilePhone: "+44 7700 900123"}, []string{"TEL;TYPE=cell:+44 7700 900123"}},
		{"home address", Contact{HomeAddress: PhysicalAddress{Street: "12 St James's Square", City: "London",
			PostalCode: "SW1Y 4JH", CountryOrRegion: "United Kingdom"}},
			[]string{"ADR;TYPE=home:;;12 St James's Square;London;;SW1Y 4JH;United Kingdom"}},
		{"business address and office", Contact{BusinessAddress: PhysicalAddress{Street: "1 Engine Row", City: "Cambridge",
			State: "Cambridgeshire", PostalCode: "CB2 1TN", CountryOrRegion: "UK"}, OfficeLocation: "Room 4"},
			[]string{"ADR;TYPE=work:;Room 4;1 Engine Row;Cambridge;Cambridgeshire;CB2 1TN;UK"}},
		{"office only", Contact{OfficeLocation: "Room 4"}, []string{"ADR;TYPE=work:;Room 4;;;;;"}},
		{"other address", Contact{OtherAddress: PhysicalAddress{City: "Ockham", CountryOrRegion: "UK"}},
			[]string{"ADR;TYPE=other:;;;Ockham;;;UK"}},
		{"street of two lines", Contact{HomeAddress: PhysicalAddress{Street: "Flat 1\nHorsley Towers"}},
			[]string{`ADR;TYPE=home:;;Flat 1\nHorsley Towers;;;;`}},
		{"organisation", Contact{CompanyName: "Analytical Engines Ltd", Department: "Mathematics"},
			[]string{"ORG:Analytical Engines Ltd;Mathematics"}},
		{"company only", Contact{CompanyName: "Analytical Engines Ltd"}, []string{"ORG:Analytical Engines Ltd"}},
		{"department only", Contact{Department: "Mathematics"}, []string{"ORG:;Mathematics"}},
		{"organisational units", Contact{CompanyName: "AE", Department: "Mathematics;Engines"},
			[]string{"ORG:AE;Mathematics;Engines"}},
		{"comma in company", Contact{CompanyName: "Company, The"}, []string{`ORG:Company\, The`}},
		{"job title", Contact{JobTitle: "Analyst"}, []string{"TITLE:Analyst"}},
		{"profession", Contact{Profession: "Mathematician"}, []string{"ROLE:Mathematician"}},
		{"manager", Contact{Manager: "Charles Babbage"}, []string{"X-MS-MANAGER:Charles Babbage"}},
		{"assistant", Contact{AssistantName: "Mary Somerville"}, []string{"X-MS-ASSISTANT:Mary Somerville"}},
		{"spouse", Contact{SpouseName: "William King"}, []string{"RELATED;TYPE=spouse;VALUE=text:William King"}},
		{"children", Contact{Children: []string{"Byron", "Anne Isabella", "Ralph"}},
			[]string{"RELATED;TYPE=child;VALUE=text:Byron", "RELATED;TYPE=child;VALUE=text:Anne Isabella",
				"RELATED;TYPE=child;VALUE=text:Ralph"}},
		{"birthday", Contact{Birthday: "1815-12-10T00:00:00Z"}, []string{"BDAY:18151210"}},
		{"business home page", Contact{BusinessHomePage: "https://example.org/ada"},
			[]string{"URL;TYPE=work:https://example.org/ada"}},
		{"IM addresses", Contact{IMAddresses: []string{"xmpp:ada@example.org", "sip:ada@example.org"}},
			[]string{"IMPP:xmpp:ada@example.org", "IMPP:sip:ada@example.org"}},
		{"notes", Contact{PersonalNotes: "Wrote the first program.\nPoet of science."},
			[]string{`NOTE:Wrote the first program.\nPoet of science.`}},
		{"categories", Contact{Categories: []string{"Family", "VIP"}}, []string{"CATEGORIES:Family,VIP"}},
		{"category with a comma", Contact{Categories: []string{"Work, main"}}, []string{`CATEGORIES:Work\, main`}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			contact, lines := namedRow(r.contact, r.card)
			want := testCard(t, lines...)
			got, err := toCard(&contact)
			if err != nil {
				t.Fatal(err)
			}
			wantSameCard(t, "toCard", want, got)
			back, photo := fromCard(want)
			if photo != nil {
				t.Errorf("fromCard made a photo")
			}
			if g, w := writtenJSON(t, back), writtenJSON(t, &contact); g != w {
				t.Errorf("fromCard writes\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestMappingFromCardSlots checks which values fromCard puts in which
// slot, and which it leaves out.
func TestMappingFromCardSlots(t *testing.T) {
	rows := []struct {
		name string
		card []string
		want Contact
	}{
		// Phones.
		{"untyped number to home", []string{"TEL:1"}, Contact{HomePhones: []string{"1"}}},
		{"voice and other to home", []string{"TEL;TYPE=voice:1", "TEL;TYPE=other:2"}, Contact{HomePhones: []string{"1", "2"}}},
		{"untyped numbers fill home, business, mobile", []string{"TEL:1", "TEL:2", "TEL:3", "TEL:4", "TEL:5"},
			Contact{HomePhones: []string{"1", "2"}, BusinessPhones: []string{"3", "4"}, MobilePhone: "5"}},
		{"typed numbers first", []string{"TEL:1", "TEL;TYPE=home:2", "TEL;TYPE=home:3"},
			Contact{HomePhones: []string{"2", "3"}, BusinessPhones: []string{"1"}}},
		{"fax and pager stay in the hub", []string{"TEL;TYPE=fax:1", "TEL;TYPE=fax,work:2", "TEL;TYPE=pager:3", "TEL;TYPE=cell:4"},
			Contact{MobilePhone: "4"}},
		{"work mobile", []string{"TEL;TYPE=cell,work:1"}, Contact{MobilePhone: "1"}},
		{"iphone", []string{"TEL;TYPE=iphone:1"}, Contact{MobilePhone: "1"}},
		{"second mobile dropped", []string{"TEL;TYPE=cell:1", "TEL;TYPE=cell:2"}, Contact{MobilePhone: "1"}},
		{"third business phone dropped", []string{"TEL;TYPE=work:1", "TEL;TYPE=work:2", "TEL;TYPE=work:3"},
			Contact{BusinessPhones: []string{"1", "2"}}},
		{"preferred business phone first", []string{"TEL;TYPE=work:1", "TEL;TYPE=work;PREF=1:2"},
			Contact{BusinessPhones: []string{"2", "1"}}},
		{"tel URI", []string{"TEL;VALUE=uri:tel:+44-20-7946-0001"}, Contact{HomePhones: []string{"+44-20-7946-0001"}}},
		{"only the first five numbers", []string{"TEL;TYPE=fax:0", "TEL;TYPE=work:1", "TEL;TYPE=home:2", "TEL;TYPE=cell:3",
			"TEL;TYPE=work:4", "TEL;TYPE=home:5"},
			Contact{BusinessPhones: []string{"1", "4"}, HomePhones: []string{"2"}, MobilePhone: "3"}},
		{"empty number", []string{"TEL;TYPE=cell:", "TEL:1"}, Contact{HomePhones: []string{"1"}}},
		// E-mail.
		{"fourth email dropped", []string{"EMAIL:a@x", "EMAIL:b@x", "EMAIL:c@x", "EMAIL:d@x"},
			Contact{EmailAddresses: []EmailAddress{{Address: "a@x"}, {Address: "b@x"}, {Address: "c@x"}}}},
		{"preferred email first", []string{"EMAIL:a@x", "EMAIL:b@x", "EMAIL;PREF=1:c@x"},
			Contact{EmailAddresses: []EmailAddress{{Address: "c@x"}, {Address: "a@x"}, {Address: "b@x"}}}},
		{"preferred email past the slots", []string{"EMAIL:a@x", "EMAIL:b@x", "EMAIL:c@x", "EMAIL;PREF=1:d@x"},
			Contact{EmailAddresses: []EmailAddress{{Address: "a@x"}, {Address: "b@x"}, {Address: "c@x"}}}},
		{"email types", []string{"EMAIL;TYPE=work,internet:a@x"}, Contact{EmailAddresses: []EmailAddress{{Address: "a@x"}}}},
		// Addresses.
		{"untyped address to other", []string{"ADR:;;1 Main St;Town;;;"}, Contact{OtherAddress: PhysicalAddress{Street: "1 Main St", City: "Town"}}},
		{"postal address to other", []string{"ADR;TYPE=postal:;;;Town;;;"}, Contact{OtherAddress: PhysicalAddress{City: "Town"}}},
		{"second home address to other", []string{"ADR;TYPE=home:;;;A;;;", "ADR;TYPE=home:;;;B;;;"},
			Contact{HomeAddress: PhysicalAddress{City: "A"}, OtherAddress: PhysicalAddress{City: "B"}}},
		{"other address before a spilled one", []string{"ADR;TYPE=home:;;;A;;;", "ADR;TYPE=home:;;;B;;;", "ADR;TYPE=other:;;;C;;;"},
			Contact{HomeAddress: PhysicalAddress{City: "A"}, OtherAddress: PhysicalAddress{City: "C"}}},
		{"spilled work address loses its office", []string{"ADR;TYPE=work:;X;;A;;;", "ADR;TYPE=work:;Y;;B;;;"},
			Contact{BusinessAddress: PhysicalAddress{City: "A"}, OfficeLocation: "X", OtherAddress: PhysicalAddress{City: "B"}}},
		{"PO box and home extended address dropped", []string{"ADR;TYPE=home:PO Box 1;Flat 2;;Town;;;"},
			Contact{HomeAddress: PhysicalAddress{City: "Town"}}},
		{"address with nothing storable takes no slot", []string{"ADR;TYPE=other:PO Box 7;;;;;;", "ADR:;;2 Side St;;;;"},
			Contact{OtherAddress: PhysicalAddress{Street: "2 Side St"}}},
		{"fourth address not read", []string{"ADR;TYPE=other:;;;C;;;", "ADR;TYPE=home:;;;A;;;", "ADR;TYPE=home:;;;B;;;",
			"ADR;TYPE=work:;;;D;;;"},
			Contact{OtherAddress: PhysicalAddress{City: "C"}, HomeAddress: PhysicalAddress{City: "A"}}},
		// Single fields.
		{"first URL", []string{"URL;TYPE=home:https://a.example", "URL:https://b.example"}, Contact{BusinessHomePage: "https://a.example"}},
		{"three IM addresses", []string{"IMPP:xmpp:a@x", "IMPP:xmpp:b@x", "IMPP;PREF=1:xmpp:c@x", "IMPP:xmpp:d@x"},
			Contact{IMAddresses: []string{"xmpp:c@x", "xmpp:a@x", "xmpp:b@x"}}},
		{"second ORG not read", []string{"ORG:A;B", "ORG:C"}, Contact{CompanyName: "A", Department: "B"}},
		{"trailing empty units", []string{"ORG:IBM;;"}, Contact{CompanyName: "IBM"}},
		{"relatives by reference and friends not read", []string{"RELATED;TYPE=spouse:urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
			"RELATED;TYPE=friend;VALUE=text:Mary", "RELATED;TYPE=spouse:William King", "RELATED;TYPE=spouse;VALUE=text:Another"},
			Contact{SpouseName: "William King"}},
		{"birthday with a time", []string{"BDAY:1815-12-10T08:00:00"}, Contact{Birthday: "1815-12-10T00:00:00Z"}},
		{"birthday with dashes", []string{"BDAY:1815-12-10"}, Contact{Birthday: "1815-12-10T00:00:00Z"}},
		{"birthday without a year", []string{"BDAY:--1210"}, Contact{}},
		{"birthday as text", []string{"BDAY;VALUE=text:circa 1815"}, Contact{}},
		{"categories are a set", []string{"CATEGORIES:VIP,vip,,Family", "CATEGORIES:family,Work"},
			Contact{Categories: []string{"VIP", "Family", "Work"}}},
		{"nickname items", []string{"NICKNAME: Addie , ,Birdie"}, Contact{NickName: "Addie, Birdie"}},
		{"email display-as kept", []string{"EMAIL;X-MS-DISPLAY-NAME=Work:a@x"}, Contact{EmailAddresses: []EmailAddress{{Name: "Work", Address: "a@x"}}}},
		{"unstored properties", []string{"X-EVOLUTION-FILE-AS:Lovelace\\, Ada", "X-MS-SPOUSE:William", "GEO:geo:51.5,-0.1",
			"ANNIVERSARY:18350708", "UID:urn:uuid:1", "X-MS-CHILD:Byron"}, Contact{}},
		// displayName.
		{"display name from N", []string{"N:Lovelace;Ada;;;"}, Contact{DisplayName: "Ada Lovelace", GivenName: "Ada", Surname: "Lovelace"}},
		{"display name from the company", []string{"ORG:Analytical Engines"}, Contact{DisplayName: "Analytical Engines", CompanyName: "Analytical Engines"}},
		{"display name from the email", []string{"EMAIL:ada@example.org"},
			Contact{DisplayName: "ada@example.org", EmailAddresses: []EmailAddress{{Address: "ada@example.org"}}}},
		{"no name at all", []string{"NOTE:x"}, Contact{DisplayName: "", PersonalNotes: "x"}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			want, lines := r.want, r.card
			if !strings.HasPrefix(r.name, "display name") && r.name != "no name at all" {
				want, lines = namedRow(r.want, r.card)
			}
			got, _ := fromCard(testCard(t, lines...))
			if g, w := writtenJSON(t, got), writtenJSON(t, &want); g != w {
				t.Errorf("fromCard writes\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestMappingToCardValues checks how toCard reads the values Graph may
// give back in other forms than fromCard writes them.
func TestMappingToCardValues(t *testing.T) {
	rows := []struct {
		name    string
		contact Contact
		card    []string
	}{
		{"birthday east of Greenwich", Contact{Birthday: "1815-12-09T23:00:00Z"}, []string{"BDAY:18151210"}},
		{"birthday west of Greenwich", Contact{Birthday: "1815-12-10T05:00:00Z"}, []string{"BDAY:18151210"}},
		{"birthday before noon", Contact{Birthday: "1815-12-10T11:59:00Z"}, []string{"BDAY:18151210"}},
		{"birthday as a date", Contact{Birthday: "1815-12-10"}, []string{"BDAY:18151210"}},
		{"birthday with an offset", Contact{Birthday: "1815-12-10T00:00:00+01:00"}, []string{"BDAY:18151210"}},
		{"not a birthday", Contact{Birthday: "soon"}, nil},
		{"email named by its address", Contact{EmailAddresses: []EmailAddress{{Name: "ADA@example.org", Address: "ada@example.org"}}},
			[]string{"EMAIL:ada@example.org"}},
		{"email named by the contact", Contact{EmailAddresses: []EmailAddress{{Name: "Ada Lovelace", Address: "ada@example.org"}}},
			[]string{"EMAIL:ada@example.org"}},
		{"email named as Outlook displays it", Contact{EmailAddresses: []EmailAddress{{Name: "Ada Lovelace (ada@example.org)",
			Address: "ada@example.org"}}}, []string{"EMAIL:ada@example.org"}},
		{"email without an address", Contact{EmailAddresses: []EmailAddress{{Name: "Ada"}}}, nil},
		{"empty items", Contact{BusinessPhones: []string{"", "1"}, Categories: []string{"", "A"}, Children: []string{""},
			IMAddresses: []string{""}}, []string{"TEL;TYPE=work:1", "CATEGORIES:A"}},
		{"nickname with empty items", Contact{NickName: " , Addie,"}, []string{"NICKNAME:Addie"}},
		{"no displayName", Contact{DisplayName: " ", GivenName: "Ada", Surname: "Lovelace"},
			[]string{"FN:Ada Lovelace", "N:Lovelace;Ada;;;"}},
		{"no name but a company", Contact{CompanyName: "Analytical Engines"}, []string{"FN:Analytical Engines", "ORG:Analytical Engines"}},
		{"no name but a phone", Contact{MobilePhone: "1"}, []string{"FN:1", "TEL;TYPE=cell:1"}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			c, lines := r.contact, r.card
			if !strings.HasPrefix(r.name, "no ") {
				c, lines = namedRow(c, lines)
			}
			got, err := toCard(&c)
			if err != nil {
				t.Fatal(err)
			}
			wantSameCard(t, "toCard", testCard(t, lines...), got)
		})
	}
}

func TestMappingToCardREVAndErrors(t *testing.T) {
	card, err := toCard(&Contact{DisplayName: "Ada", LastModifiedDateTime: "2026-03-01T09:00:00Z", ID: "AAkAL", ChangeKey: "EQ",
		SingleValueExtendedProperties: []ExtendedProperty{{ID: keyProperty, Value: "kXJ5pQ0vR2aS"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := card.Value("REV"); got != "20260301T090000Z" {
		t.Errorf("REV = %q, want 20260301T090000Z", got)
	}
	if s := cardText(card); strings.Contains(s, "kXJ5pQ0vR2aS") || strings.Contains(s, "AAkAL") {
		t.Errorf("the record key or the id is in the card:\n%s", s)
	}
	if _, err := toCard(nil); err == nil {
		t.Error("toCard(nil): no error")
	}
	if _, err := toCard(&Contact{ID: "AAkAL", Removed: &Removed{Reason: "deleted"}}); err == nil {
		t.Error("toCard of a removed contact: no error")
	}
}

// TestMappingCapabilities checks the slots capabilities declares and that
// toCard writes nothing else.
func TestMappingCapabilities(t *testing.T) {
	caps := capabilities()
	if caps.Version != mapping.Version40 || caps.BatchSize != 0 || caps.Concurrency != 0 || caps.ListingDelay != 0 {
		t.Errorf("capabilities = %+v; want version 4.0, the rest for the connector to set", caps)
	}
	want := map[string]int{"FN": 1, "N": 1, "NICKNAME": 1, "EMAIL": 3, "TEL": 5, "ADR": 3, "ORG": 1, "TITLE": 1,
		"ROLE": 1, "URL": 1, "IMPP": 3, "BDAY": 1, "NOTE": 1, "PHOTO": 1, "CATEGORIES": 0, "RELATED": 0,
		"X-MS-MANAGER": 1, "X-MS-ASSISTANT": 1, "X-MS-INITIALS": 1, "SORT-STRING": 1,
		"X-PHONETIC-FIRST-NAME": 1, "X-PHONETIC-LAST-NAME": 1, "X-PHONETIC-ORG": 1}
	for name, n := range want {
		if got, ok := caps.Properties[name]; !ok || got != n {
			t.Errorf("%s: limit %d (stored %v), want %d", name, got, ok, n)
		}
	}
	for _, name := range []string{"UID", "GEO", "KEY", "ANNIVERSARY", "X-ABLABEL", "X-MS-SPOUSE", "X-EVOLUTION-FILE-AS", "GENDER"} {
		if caps.Stores(name) {
			t.Errorf("%s should not be stored", name)
		}
	}
	full := &Contact{DisplayName: "a", GivenName: "a", Surname: "a", MiddleName: "a", Title: "a", Generation: "a",
		NickName: "a", Initials: "a", YomiGivenName: "a", YomiSurname: "a", YomiCompanyName: "a", FileAs: "a",
		EmailAddresses: []EmailAddress{{Name: "n", Address: "a@x"}}, BusinessPhones: []string{"1"}, HomePhones: []string{"2"},
		MobilePhone: "3", HomeAddress: PhysicalAddress{City: "a"}, BusinessAddress: PhysicalAddress{City: "a"},
		OtherAddress: PhysicalAddress{City: "a"}, OfficeLocation: "a", CompanyName: "a", Department: "a", JobTitle: "a",
		Profession: "a", Manager: "a", AssistantName: "a", SpouseName: "a", Children: []string{"a"},
		Birthday: "2000-01-01T00:00:00Z", BusinessHomePage: "https://a", IMAddresses: []string{"a"}, PersonalNotes: "a",
		Categories: []string{"a"}, LastModifiedDateTime: "2026-01-01T00:00:00Z"}
	card, err := toCard(full)
	if err != nil {
		t.Fatal(err)
	}
	setPhoto(card, []byte{0xff, 0xd8, 0xff})
	names := map[string]bool{}
	for _, p := range card.Props {
		names[p.Name] = true
		if !caps.Stores(p.Name) {
			t.Errorf("toCard writes %s, which capabilities does not name", p.Name)
		}
	}
	for name := range caps.Properties {
		if !names[name] {
			t.Errorf("capabilities names %s, which toCard never writes", name)
		}
	}
	caps.Properties["FN"] = 9
	if capabilities().Properties["FN"] != 1 {
		t.Error("capabilities shares its map")
	}
}

// ---------------------------------------------------------------------------
// Request bodies

// TestMappingWriteBody checks that writeBody names every writable
// property of the contact resource and nothing else, with the empty
// values the fake (and Graph) accept as clearing.
func TestMappingWriteBody(t *testing.T) {
	readOnly := map[string]bool{"id": true, "@odata.etag": true, "changeKey": true, "createdDateTime": true,
		"lastModifiedDateTime": true, "parentFolderId": true, "@removed": true, "singleValueExtendedProperties": true}
	var writable []string
	ct := reflect.TypeFor[Contact]()
	for i := range ct.NumField() {
		name, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ",")
		if !readOnly[name] {
			writable = append(writable, name)
		}
	}
	body := writeBody(&Contact{})
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Sort(writable)
	if !slices.Equal(keys, writable) {
		t.Errorf("writeBody keys\n%q\nwant the writable properties\n%q", keys, writable)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var empty map[string]any
	if err := json.Unmarshal(raw, &empty); err != nil {
		t.Fatal(err)
	}
	for k, v := range empty {
		switch k {
		case "birthday":
			if v != nil {
				t.Errorf("empty birthday is %#v, want null", v)
			}
		case "categories", "imAddresses", "homePhones", "businessPhones", "children", "emailAddresses":
			if a, ok := v.([]any); !ok || len(a) != 0 {
				t.Errorf("empty %s is %#v, want []", k, v)
			}
		case "homeAddress", "businessAddress", "otherAddress":
			want := map[string]any{"street": "", "city": "", "state": "", "postalCode": "", "countryOrRegion": ""}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("empty %s is %#v, want %#v", k, v, want)
			}
		default:
			if v != "" {
				t.Errorf("empty %s is %#v, want \"\"", k, v)
			}
		}
	}
	if body := writeBody(&Contact{Birthday: "1815-12-10T00:00:00Z"}); body["birthday"] != "1815-12-10T00:00:00Z" {
		t.Errorf("birthday = %#v", body["birthday"])
	}
}

// TestMappingPatchClears writes a full card to the fake, then a sparse
// one over it with PATCH: what the sparse card no longer has is gone.
func TestMappingPatchClears(t *testing.T) {
	m := newGraphMailbox(t, graphtest.Options{})
	full := testCard(t, "FN:Ada Lovelace", "N:Lovelace;Ada;Augusta;Countess;", "NICKNAME:Addie", "X-MS-INITIALS:AAL",
		"X-PHONETIC-FIRST-NAME:Eida", "X-PHONETIC-LAST-NAME:Raburesu", "X-PHONETIC-ORG:Enjin", `SORT-STRING:Lovelace\, Ada`,
		"EMAIL:a@x", "EMAIL;X-MS-DISPLAY-NAME=Work:b@x", "EMAIL:c@x", "TEL;TYPE=work:1", "TEL;TYPE=work:2", "TEL;TYPE=home:3",
		"TEL;TYPE=home:4", "TEL;TYPE=cell:5", "ADR;TYPE=home:;;1 Square;London;;SW1;UK", "ADR;TYPE=work:;Room 4;2 Row;Cambridge;;;",
		"ADR;TYPE=other:;;;Ockham;;;", "ORG:Engines;Maths", "TITLE:Analyst", "ROLE:Mathematician", "X-MS-MANAGER:Babbage",
		"X-MS-ASSISTANT:Somerville", "RELATED;TYPE=spouse;VALUE=text:William", "RELATED;TYPE=child;VALUE=text:Byron",
		"BDAY:18151210", "URL;TYPE=work:https://example.org", "IMPP:xmpp:ada@x", `NOTE:a\nb`, "CATEGORIES:VIP,Family")
	created := m.send("", writeBody(contactOf(fromCard(full))))
	wantSameCard(t, "created", keep(full), m.get(created.ID))

	sparse := testCard(t, "FN:Ada", "EMAIL:b@x")
	patched := m.send(created.ID, writeBody(contactOf(fromCard(sparse))))
	got, err := toCard(patched)
	if err != nil {
		t.Fatal(err)
	}
	wantSameCard(t, "PATCH answer", keep(sparse), got)
	wantSameCard(t, "read after PATCH", keep(sparse), m.get(created.ID))
}

// contactOf drops fromCard's photo.
func contactOf(c *Contact, _ []byte) *Contact { return c }

// ---------------------------------------------------------------------------
// The corpus through the fake.

// TestCorpusThroughFake writes every card of the corpus to the fake Graph
// server as the connector will — fromCard, writeBody as JSON, the photo
// uploaded as JPEG — reads it back and converts it with toCard: the card
// must be keep(card). It does so over HTTP (POST, PUT photo, GET) on a
// fake that refuses values past the caps instead of dropping them, and
// through User.Put on one that truncates. toCard must write only stored
// properties.
func TestCorpusThroughFake(t *testing.T) {
	strict := newGraphMailbox(t, graphtest.Options{Caps: graphtest.Caps{Reject: true}})
	loose := newGraphMailbox(t, graphtest.Options{})
	caps := capabilities()
	photos, exact := 0, 0
	cards := corpusCards(t)
	for _, cc := range cards {
		t.Run(cc.name, func(t *testing.T) {
			strict.t, loose.t = t, t
			want := keep(cc.card)
			c, photo := fromCard(cc.card)
			body := writeBody(c)

			created := strict.send("", body)
			if photo != nil {
				photos++
				strict.putPhoto(created.ID, photo)
			}
			got := strict.get(created.ID)
			wantSameCard(t, "over HTTP", want, got)
			for _, p := range got.Props {
				if !caps.Stores(p.Name) {
					t.Errorf("toCard wrote %s, which capabilities does not name", p.Name)
				}
			}

			id := loose.put(body)
			if photo != nil && !loose.user.SetPhoto(id, photo, "image/jpeg") {
				t.Fatal("SetPhoto: no such contact")
			}
			wantSameCard(t, "through User.Put", want, loose.stored(id))

			if want.Hash() == caps.Project(cc.card).Hash() {
				exact++
			}
		})
	}
	if photos == 0 {
		t.Error("no corpus card has a photo Outlook can store")
	}
	t.Logf("%d cards, %d with a photo; %d come back exactly as projected", len(cards), photos, exact)
}

// TestKeepCorpus checks keep over the corpus: it does not modify its
// argument, keep(keep(c)) equals keep(c), and what fromCard writes does
// not depend on what Project drops (fromCard reads the same values
// Project keeps).
func TestKeepCorpus(t *testing.T) {
	caps := capabilities()
	for _, cc := range corpusCards(t) {
		before := cc.card.Clone()
		once := keep(cc.card)
		if !reflect.DeepEqual(before, cc.card) {
			t.Errorf("%s: keep modified its argument", cc.name)
		}
		wantSameCard(t, cc.name+": keep(keep(c))", once, keep(once))
		c1, p1 := fromCard(cc.card)
		c2, p2 := fromCard(caps.Project(cc.card))
		if writtenJSON(t, c1) != writtenJSON(t, c2) || !bytes.Equal(p1, p2) {
			t.Errorf("%s: fromCard of the projected card differs:\n%s\n%s", cc.name, writtenJSON(t, c1), writtenJSON(t, c2))
		}
	}
}

// TestKeepDropsPastSlots checks that keep drops the fourth e-mail address
// and the third business phone as fromCard does, and as the fake does to
// a contact written with them.
func TestKeepDropsPastSlots(t *testing.T) {
	card := testCard(t, "FN:Ada", "EMAIL:a@x", "EMAIL:b@x", "EMAIL:c@x", "EMAIL:d@x",
		"TEL;TYPE=work:1", "TEL;TYPE=work:2", "TEL;TYPE=work:3", "TEL;TYPE=home:4", "TEL;TYPE=home:5", "TEL;TYPE=home:6")
	want := testCard(t, "FN:Ada", "EMAIL:a@x", "EMAIL:b@x", "EMAIL:c@x",
		"TEL;TYPE=work:1", "TEL;TYPE=work:2", "TEL;TYPE=home:4", "TEL;TYPE=home:5")
	wantSameCard(t, "keep", want, keep(card))

	c, _ := fromCard(card)
	if len(c.EmailAddresses) != 3 || len(c.BusinessPhones) != 2 || len(c.HomePhones) != 2 {
		t.Errorf("fromCard: %d emails, %d business and %d home phones; want 3, 2, 2",
			len(c.EmailAddresses), len(c.BusinessPhones), len(c.HomePhones))
	}
	// A contact written with every value: the fake keeps the first ones.
	m := newGraphMailbox(t, graphtest.Options{})
	over := &Contact{DisplayName: "Ada", BusinessPhones: []string{"1", "2", "3"}, HomePhones: []string{"4", "5", "6"}}
	for _, a := range []string{"a@x", "b@x", "c@x", "d@x"} {
		over.EmailAddresses = append(over.EmailAddresses, EmailAddress{Address: a})
	}
	wantSameCard(t, "the fake's truncation", want, m.get(m.send("", writeBody(over)).ID))
	wantSameCard(t, "the fake's truncation through User.Put", want, m.stored(m.put(writeBody(over))))
}

// ---------------------------------------------------------------------------
// Photos

func photoTestImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	for x := range 4 {
		for y := range 3 {
			img.Set(x, y, color.NRGBA{R: uint8(60 * x), G: uint8(80 * y), B: 200, A: 255})
		}
	}
	img.Set(0, 0, color.NRGBA{}) // transparent
	return img
}

func encodedImage(t *testing.T, enc func(io.Writer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf, photoTestImage()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func photoCard(t *testing.T, mediaType string, data []byte) *mapping.Card {
	return testCard(t, "FN:Ada", "PHOTO:data:"+mediaType+";base64,"+base64.StdEncoding.EncodeToString(data))
}

// TestMappingPhotoConverted checks that a PNG or GIF photo becomes a JPEG
// that decodes to the same size, over white where it was transparent, the
// same bytes every time, and that keep holds that JPEG.
func TestMappingPhotoConverted(t *testing.T) {
	pngData := encodedImage(t, png.Encode)
	gifData := encodedImage(t, func(w io.Writer, img image.Image) error { return gif.Encode(w, img, nil) })
	for _, tc := range []struct {
		name, mediaType string
		data            []byte
		transparent     bool // gif.Encode's palette has no transparent colour
	}{{"png", "image/png", pngData, true}, {"gif", "image/gif", gifData, false}, {"png called jpeg", "image/jpeg", pngData, true}} {
		t.Run(tc.name, func(t *testing.T) {
			card := photoCard(t, tc.mediaType, tc.data)
			_, photo := fromCard(card)
			if !bytes.HasPrefix(photo, []byte{0xff, 0xd8, 0xff}) {
				t.Fatalf("photo is not a JPEG: % x", photo[:min(8, len(photo))])
			}
			img, err := jpeg.Decode(bytes.NewReader(photo))
			if err != nil {
				t.Fatalf("the JPEG does not decode: %v", err)
			}
			if img.Bounds().Dx() != 4 || img.Bounds().Dy() != 3 {
				t.Errorf("size %v, want 4×3", img.Bounds())
			}
			if r, g, b, _ := img.At(0, 0).RGBA(); tc.transparent && (r>>8 < 200 || g>>8 < 200 || b>>8 < 200) {
				t.Errorf("transparent pixel is %d,%d,%d, want white", r>>8, g>>8, b>>8)
			}
			if _, again := fromCard(card); !bytes.Equal(photo, again) {
				t.Error("two conversions give different bytes")
			}
			k := keep(card)
			if got := k.Value("PHOTO"); got != "data:image/jpeg;base64,"+base64.StdEncoding.EncodeToString(photo) {
				t.Errorf("keep's PHOTO = %.60q…", got)
			}
			wantSameCard(t, "keep(keep)", k, keep(k))
		})
	}
}

// TestMappingPhotoKept checks the photos stored as they are and those not
// stored at all.
func TestMappingPhotoKept(t *testing.T) {
	jpegData := encodedImage(t, func(w io.Writer, img image.Image) error { return jpeg.Encode(w, img, nil) })
	if _, photo := fromCard(photoCard(t, "image/jpeg", jpegData)); !bytes.Equal(photo, jpegData) {
		t.Error("a JPEG is not stored byte for byte")
	}
	legacy, err := mapping.Parse([]byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nPHOTO;ENCODING=b;TYPE=JPEG:" +
		base64.StdEncoding.EncodeToString(jpegData) + "\r\nEND:VCARD\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, photo := fromCard(legacy); !bytes.Equal(photo, jpegData) {
		t.Error("a vCard 3.0 inline JPEG is not stored")
	}
	big := append(slices.Clone(jpegData), make([]byte, maxPhotoBytes)...)
	bigCard := &mapping.Card{}
	bigCard.Add(mapping.Property{Name: "PHOTO", Value: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(big)})
	for name, card := range map[string]*mapping.Card{
		"URI":             testCard(t, "FN:Ada", "PHOTO:https://example.org/ada.jpg"),
		"not an image":    photoCard(t, "image/jpeg", []byte("not an image at all")),
		"broken JPEG":     photoCard(t, "image/jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 1}),
		"bad base64":      testCard(t, "FN:Ada", "PHOTO:data:image/png;base64,***"),
		"not base64":      testCard(t, "FN:Ada", "PHOTO:data:image/png,abc"),
		"over 4 MB":       bigCard,
		"BMP":             photoCard(t, "image/bmp", []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00")),
		"truncated PNG":   photoCard(t, "image/png", encodedImage(t, png.Encode)[:30]),
		"empty data":      testCard(t, "FN:Ada", "PHOTO:data:image/jpeg;base64,"),
		"no photo at all": testCard(t, "FN:Ada"),
	} {
		if _, photo := fromCard(card); photo != nil {
			t.Errorf("%s: photo of %d bytes, want none", name, len(photo))
		}
		if k := keep(card); k.Get("PHOTO") != nil {
			t.Errorf("%s: keep has a PHOTO", name)
		}
	}
}

func TestMappingSetPhoto(t *testing.T) {
	jpegData := encodedImage(t, func(w io.Writer, img image.Image) error { return jpeg.Encode(w, img, nil) })
	card := testCard(t, "FN:Ada", "PHOTO:https://example.org/old.jpg")
	setPhoto(card, jpegData)
	if ps := card.All("PHOTO"); len(ps) != 1 || ps[0].Value != "data:image/jpeg;base64,"+base64.StdEncoding.EncodeToString(jpegData) {
		t.Errorf("after setPhoto:\n%s", cardText(card))
	}
	if _, photo := fromCard(card); !bytes.Equal(photo, jpegData) {
		t.Error("fromCard does not read back the photo setPhoto wrote")
	}
	setPhoto(card, nil)
	if card.Get("PHOTO") != nil {
		t.Error("setPhoto without data keeps a PHOTO")
	}
}
