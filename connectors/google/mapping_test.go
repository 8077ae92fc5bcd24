package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/contactbridge/contactbridge/mapping"
)

const corpusDir = "../../testdata/vcards"

// card parses the body lines of a vCard 4.0.
func card(t *testing.T, lines ...string) *mapping.Card {
	t.Helper()
	text := "BEGIN:VCARD\r\nVERSION:4.0\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n"
	c, err := mapping.Parse([]byte(text))
	if err != nil {
		t.Fatalf("test card: %v", err)
	}
	return c
}

// show writes c as canonical vCard 4.0 for failure messages.
func show(c *mapping.Card) string {
	b, err := c.Marshal(mapping.Version40)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// throughGoogle sends c to Google and back as the connector will: fromCard
// (creating the groups its categories need, then again with them), the
// Person as JSON on the wire and back, toCard, and the photo uploaded as
// bytes (only JPEG and PNG) and read back.
func throughGoogle(c *mapping.Card) (*mapping.Card, error) {
	ids := map[string]string{}
	_, newGroups := fromCard(c, ids)
	for i, name := range newGroups {
		ids[name] = fmt.Sprintf("contactGroups/%x", 0x100+i)
	}
	p, newGroups := fromCard(c, ids)
	if len(newGroups) > 0 {
		return nil, fmt.Errorf("groups still missing after creating them: %q", newGroups)
	}
	uploadable(p) // Google keeps only JPEG and PNG photos
	wire, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var back Person
	if err := json.Unmarshal(wire, &back); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for name, id := range ids {
		names[id] = name
	}
	out, err := toCard(&back, names)
	if data, ok, perr := photoBytes(&back); err == nil && ok && perr == nil {
		setPhoto(out, photoType(data), data) // the connector uploads bytes and reads them back
	}
	return out, err
}

// propKeys returns a readable key per property of c: the content line
// without its group, prefixed by the group's label when the property is
// grouped (group names themselves mean nothing). Long values are cut.
func propKeys(c *mapping.Card) []string {
	labels := labelsOf(c)
	var keys []string
	for _, p := range c.Props {
		if hashIgnoredName(p.Name) {
			continue
		}
		q := p
		q.Group = ""
		b, _ := (&mapping.Card{Props: []mapping.Property{q}}).Marshal(mapping.Version40)
		line := strings.Split(strings.ReplaceAll(string(b), "\r\n ", ""), "\r\n")[2]
		if len(line) > 120 {
			line = line[:117] + "..."
		}
		if p.Group != "" {
			line = "{" + labels[strings.ToLower(p.Group)] + "}." + line
		}
		keys = append(keys, line)
	}
	slices.Sort(keys)
	return keys
}

func hashIgnoredName(name string) bool {
	switch strings.ToUpper(name) {
	case "REV", "PRODID", "VERSION":
		return true
	}
	return false
}

// diffCards lists the properties only a has (-) and only b has (+).
func diffCards(a, b *mapping.Card) []string {
	ka, kb := propKeys(a), propKeys(b)
	var out []string
	for _, k := range ka {
		if i := slices.Index(kb, k); i >= 0 {
			kb = slices.Delete(kb, i, i+1)
		} else {
			out = append(out, "- "+k)
		}
	}
	for _, k := range kb {
		out = append(out, "+ "+k)
	}
	if len(out) == 0 {
		out = append(out, "(same properties, grouped differently)")
	}
	return out
}

// payloads are the letters and digits of a property's values, the part of
// it no normalisation may lose: one per list item, without the URI scheme
// of IMPP and TEL, a photo's data without its media type.
func payloads(p *mapping.Property) []string {
	var vals []string
	switch strings.ToUpper(p.Name) {
	case "CATEGORIES", "NICKNAME":
		vals = p.List()
	case "IMPP":
		v := p.Text()
		if _, rest, ok := splitScheme(v); ok {
			v, _ = strings.CutPrefix(strings.ReplaceAll(rest, "%20", " "), "//")
		}
		vals = []string{v}
	case "TEL":
		vals = []string{telText(p)}
	case "PHOTO":
		_, data, _ := strings.Cut(p.Text(), ",") // the bytes; their media type may be put right
		vals = []string{data}
	case "N", "ADR":
		n := map[string]int{"N": 5, "ADR": 7}[strings.ToUpper(p.Name)] // components beyond these mean nothing
		vals = p.Components()
		vals = vals[:min(n, len(vals))]
	case "ANNIVERSARY", propDate:
		d, _ := parseDate(p.Text()) // Google keeps the date, not a time
		vals = []string{formatDate(&d, false)}
	default:
		vals = []string{p.Text()}
	}
	var out []string
	for _, v := range vals {
		k := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, v)
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// storable reports whether Google can hold a property's value at all:
// events need a date, photos must be JPEG or PNG bytes.
func storable(p *mapping.Property) bool {
	switch strings.ToUpper(p.Name) {
	case "ANNIVERSARY", propDate:
		_, ok := parseDate(p.Text())
		return ok && p.Param("VALUE") == ""
	case propLabel, "REV":
		return false
	case propStarred:
		return strings.EqualFold(p.Text(), "TRUE") // the rest means "not starred"
	case "PHOTO":
		_, _, err := photoBytes(&Person{Photos: []Photo{{URL: p.Text()}}})
		return err == nil // Google keeps JPEG and PNG only
	}
	return true
}

// valueChanges reports values of want that got lacks and values of got
// that want lacks, property by property, ignoring parameters and groups.
func valueChanges(want, got *mapping.Card) []string {
	// A label that names a Google type with a property of its own moves
	// the value there: CALURI labelled freeBusy is an FBURL, X-ABDATE
	// labelled anniversary the ANNIVERSARY.
	family := map[string]string{"FBURL": "CALURI", propDate: "ANNIVERSARY"}
	have := func(c *mapping.Card) map[string][]string {
		m := map[string][]string{}
		for i := range c.Props {
			p := &c.Props[i]
			if storable(p) && !(strings.EqualFold(p.Name, "CATEGORIES") && isMyContactsName(p.Text())) {
				name := p.Name
				if f, ok := family[name]; ok {
					name = f
				}
				m[name] = append(m[name], payloads(p)...)
			}
		}
		slices.Sort(m["CATEGORIES"]) // a set: Google has each group once
		m["CATEGORIES"] = slices.Compact(m["CATEGORIES"])
		return m
	}
	w, g := have(want), have(got)
	var out []string
	for name, vals := range w {
		rest := slices.Clone(g[name])
		for _, v := range vals {
			if i := slices.Index(rest, v); i >= 0 {
				rest = slices.Delete(rest, i, i+1)
			} else if !(name == "CATEGORIES" && isMyContactsName(v)) {
				out = append(out, fmt.Sprintf("lost %s value %.60q", name, v))
			}
		}
	}
	for name, vals := range g {
		if name == "FN" && len(w["FN"]) == 0 {
			continue // synthesized from N
		}
		rest := slices.Clone(w[name])
		for _, v := range vals {
			if i := slices.Index(rest, v); i >= 0 {
				rest = slices.Delete(rest, i, i+1)
			} else {
				out = append(out, fmt.Sprintf("invented %s value %.60q", name, v))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestCorpusRoundTrip sends every card of the corpus, projected to what
// Google stores, to Google and back. It reports which files come back
// exactly (by canonical hash) and, for the others, the properties that
// differ; it fails when a trip loses or invents a value, when a second trip
// changes anything (the bridge would never converge), or when toCard writes
// a property Capabilities does not name.
func TestCorpusRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.vcf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s: %v", corpusDir, err)
	}
	caps := capabilities()
	exact, total := 0, 0
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cards, _ := mapping.ParseAll(name, data)
		if len(cards) == 0 {
			continue // nothing readable: the mapping tests of mapping say why
		}
		total++
		var diffs []string
		for i, c := range cards {
			want := caps.Project(c)
			got, err := throughGoogle(want)
			if err != nil {
				t.Errorf("%s card %d: %v", name, i+1, err)
				continue
			}
			for _, p := range got.Props {
				if !caps.Stores(p.Name) {
					t.Errorf("%s card %d: toCard wrote %s, which Capabilities does not name", name, i+1, p.Name)
				}
			}
			if changes := valueChanges(want, got); len(changes) > 0 {
				t.Errorf("%s card %d: values changed:\n  %s", name, i+1, strings.Join(changes, "\n  "))
			}
			again, err := throughGoogle(got)
			if err != nil {
				t.Errorf("%s card %d: second trip: %v", name, i+1, err)
			} else if again.Hash() != got.Hash() {
				t.Errorf("%s card %d: a second trip changes the card:\n  %s", name, i+1,
					strings.Join(diffCards(got, again), "\n  "))
			}
			if k := keep(c); k.Hash() != got.Hash() {
				t.Errorf("%s card %d: keep differs from a trip through Google:\n  %s", name, i+1,
					strings.Join(diffCards(got, k), "\n  "))
			}
			if want.Hash() != got.Hash() {
				diffs = append(diffs, fmt.Sprintf("card %d:\n    %s", i+1, strings.Join(diffCards(want, got), "\n    ")))
			}
		}
		if len(diffs) == 0 {
			exact++
		} else {
			t.Logf("%s: not exact after projection:\n  %s", name, strings.Join(diffs, "\n  "))
		}
	}
	t.Logf("%d of %d files round-trip exactly after projection", exact, total)
}

// ---------------------------------------------------------------------------
// The reference table, row by row, both ways.

// fieldCase is one row of the Person ⇄ vCard table: toCard(person) must be
// card, and fromCard(card) must be person (as updateMask compares them).
type fieldCase struct {
	name   string
	person Person
	card   []string
	groups map[string]string // resource name → group name
}

func contactSource() *FieldMetadata {
	return &FieldMetadata{Source: &Source{Type: "CONTACT", ID: "7f3a"}}
}

func primary() *FieldMetadata {
	return &FieldMetadata{Primary: true, SourcePrimary: true, Source: &Source{Type: "CONTACT", ID: "7f3a"}}
}

func date(y, m, d int) *Date { return &Date{Year: y, Month: m, Day: d} }

func boolPtr(b bool) *bool { return &b }

var fieldCases = []fieldCase{
	{
		name: "names: structured, free-form and phonetic",
		person: Person{Names: []Name{{Metadata: primary(), DisplayName: "Dr. Ann B. Lee Jr.",
			DisplayNameLastFirst: "Lee, Ann B., Dr., Jr.", UnstructuredName: "Dr. Ann B. Lee Jr.",
			FamilyName: "Lee", GivenName: "Ann", MiddleName: "B.", HonorificPrefix: "Dr.", HonorificSuffix: "Jr.",
			PhoneticFamilyName: "Lii", PhoneticGivenName: "An", PhoneticMiddleName: "Bii",
			PhoneticFullName: "An Bii Lii", PhoneticHonorificPrefix: "Doktor", PhoneticHonorificSuffix: "Junior"}}},
		card: []string{"FN:Dr. Ann B. Lee Jr.", "N:Lee;Ann;B.;Dr.;Jr.",
			"X-PHONETIC-FIRST-NAME:An", "X-PHONETIC-MIDDLE-NAME:Bii", "X-PHONETIC-LAST-NAME:Lii",
			"X-GOOGLE-PHONETIC-FULL-NAME:An Bii Lii", "X-GOOGLE-PHONETIC-PREFIX:Doktor",
			"X-GOOGLE-PHONETIC-SUFFIX:Junior"},
	},
	{
		name:   "names: a comma in a component is text",
		person: Person{Names: []Name{{UnstructuredName: "John Doe", FamilyName: "Doe", GivenName: "John", MiddleName: "Richter, James"}}},
		card:   []string{"FN:John Doe", `N:Doe;John;Richter\, James;;`},
	},
	{
		name: "nicknames: default and typed",
		person: Person{Nicknames: []Nickname{{Value: "Bo", Type: "DEFAULT"}, {Value: "Smith", Type: "MAIDEN_NAME"},
			{Value: "A, B"}}},
		card: []string{"NICKNAME:Bo", "NICKNAME;X-GOOGLE-TYPE=MAIDEN_NAME:Smith", `NICKNAME:A\, B`},
	},
	{
		name: "emailAddresses: types, primary, custom label, display name",
		person: Person{EmailAddresses: []EmailAddress{
			{Metadata: contactSource(), Value: "a@home.example", Type: "home", FormattedType: "Home"},
			{Metadata: primary(), Value: "a@work.example", Type: "work", FormattedType: "Work"},
			{Value: "a@other.example", Type: "other"},
			{Value: "a@club.example", Type: "Chess club", DisplayName: "Ann at the club"},
			{Value: "a@plain.example"},
		}},
		card: []string{"EMAIL;TYPE=home:a@home.example", "EMAIL;TYPE=work;PREF=1:a@work.example",
			"EMAIL;TYPE=other:a@other.example",
			`item1.EMAIL;X-GOOGLE-DISPLAY-NAME=Ann at the club:a@club.example`, "item1.X-ABLABEL:Chess club",
			"EMAIL:a@plain.example"},
	},
	{
		name: "phoneNumbers: every predefined type, and custom ones",
		person: Person{PhoneNumbers: []PhoneNumber{
			{Value: "+1 555 0100", Type: "home", CanonicalForm: "+15550100"},
			{Value: "+1 555 0101", Type: "work"},
			{Metadata: primary(), Value: "+1 555 0102", Type: "mobile"},
			{Value: "+1 555 0103", Type: "homeFax"},
			{Value: "+1 555 0104", Type: "workFax"},
			{Value: "+1 555 0105", Type: "otherFax"},
			{Value: "+1 555 0106", Type: "pager"},
			{Value: "+1 555 0107", Type: "workMobile"},
			{Value: "+1 555 0108", Type: "workPager"},
			{Value: "+1 555 0109", Type: "main"},
			{Value: "+1 555 0110", Type: "googleVoice"},
			{Value: "+1 555 0111", Type: "other"},
			{Value: "+1 555 0112", Type: "car"},
			{Value: "+1 555 0113", Type: "Boat"},
			{Value: "+1 555 0114"},
		}},
		card: []string{"TEL;TYPE=home:+1 555 0100", "TEL;TYPE=work:+1 555 0101", "TEL;TYPE=cell;PREF=1:+1 555 0102",
			"TEL;TYPE=home,fax:+1 555 0103", "TEL;TYPE=work,fax:+1 555 0104", "TEL;TYPE=fax:+1 555 0105",
			"TEL;TYPE=pager:+1 555 0106", "TEL;TYPE=work,cell:+1 555 0107", "TEL;TYPE=work,pager:+1 555 0108",
			"item1.TEL:+1 555 0109", "item1.X-ABLABEL:main", "item2.TEL:+1 555 0110", "item2.X-ABLABEL:googleVoice",
			"TEL;TYPE=other:+1 555 0111", "TEL;TYPE=car:+1 555 0112", "item3.TEL:+1 555 0113", "item3.X-ABLABEL:Boat",
			"TEL:+1 555 0114"},
	},
	{
		name: "addresses: structured, formatted only, custom type",
		person: Person{Addresses: []Address{
			{Type: "home", FormattedValue: "built by Google", POBox: "PO 1", ExtendedAddress: "Apt 2",
				StreetAddress: "1 Main St\nBack door", City: "Springfield", Region: "IL", PostalCode: "62701",
				Country: "USA", CountryCode: "US"},
			{Metadata: primary(), Type: "work", FormattedValue: "Unit 5, Harbour Rd\nDocklands"},
			{Type: "Cabin", City: "Nowhere"},
		}},
		card: []string{`ADR;TYPE=home;CC=US:PO 1;Apt 2;1 Main St\nBack door;Springfield;IL;62701;USA`,
			`ADR;TYPE=work;PREF=1;LABEL="Unit 5, Harbour Rd^nDocklands":;;;;;;`,
			"item1.ADR:;;;Nowhere;;;", "item1.X-ABLABEL:Cabin"},
	},
	{
		name: "organizations: one, with everything vCard and Google have",
		person: Person{Organizations: []Organization{{Type: "work", Name: "Acme", Department: "R&D;Lab 3",
			Title: "Engineer", JobDescription: "Builds rockets", Symbol: "ACME", Domain: "acme.example",
			Location: "Bldg 4", PhoneticName: "Akmi", CostCenter: "42", FullTimeEquivalentMillipercent: 80000,
			StartDate: date(2019, 3, 1), EndDate: date(0, 12, 31), Current: boolPtr(true)}}},
		card: []string{"ORG;TYPE=work;X-GOOGLE-SYMBOL=ACME;X-GOOGLE-DOMAIN=acme.example;X-GOOGLE-LOCATION=Bldg 4;" +
			"X-GOOGLE-PHONETIC-NAME=Akmi;X-GOOGLE-COST-CENTER=42;X-GOOGLE-FTE-MILLIPERCENT=80000;" +
			"X-GOOGLE-START=20190301;X-GOOGLE-END=--1231;X-GOOGLE-CURRENT=true:Acme;R&D;Lab 3",
			"TITLE:Engineer", "ROLE:Builds rockets"},
	},
	{
		name: "organizations: several share groups; school is a label",
		person: Person{Organizations: []Organization{
			{Name: "Acme", Title: "CTO", Current: boolPtr(true)},
			{Type: "school", Name: "State University", Current: boolPtr(false)},
			{Title: "Volunteer"},
		}},
		card: []string{"item1.ORG;X-GOOGLE-CURRENT=true:Acme", "item1.TITLE:CTO",
			"item2.ORG;X-GOOGLE-CURRENT=false:State University", "item2.X-ABLABEL:school",
			"item3.TITLE:Volunteer"},
	},
	{
		name:   "birthdays: full date",
		person: Person{Birthdays: []Birthday{{Metadata: primary(), Date: date(1970, 12, 30)}}},
		card:   []string{"BDAY:19701230"},
	},
	{
		name:   "birthdays: without a year",
		person: Person{Birthdays: []Birthday{{Date: date(0, 2, 29)}}},
		card:   []string{"BDAY:--0229"},
	},
	{
		name:   "birthdays: the card's own spelling of the date is kept as text",
		person: Person{Birthdays: []Birthday{{Date: date(1970, 12, 30), Text: "1970-12-30"}}},
		card:   []string{"BDAY:1970-12-30"},
	},
	{
		name:   "birthdays: text only",
		person: Person{Birthdays: []Birthday{{Text: "spring 1970"}}},
		card:   []string{"BDAY;VALUE=text:spring 1970"},
	},
	{
		name: "events: first anniversary, the others X-ABDATE with a label",
		person: Person{Events: []Event{
			{Date: date(2001, 6, 2), Type: "anniversary", FormattedType: "Anniversary"},
			{Date: date(0, 1, 15), Type: "other"},
			{Date: date(2010, 9, 9), Type: "Moved in"},
			{Date: date(2005, 5, 5), Type: "anniversary"},
			{Date: date(1999, 1, 1)},
		}},
		card: []string{"ANNIVERSARY:20010602", "item1.X-ABDATE:--01-15", "item1.X-ABLABEL:other",
			"item2.X-ABDATE:2010-09-09", "item2.X-ABLABEL:Moved in",
			"item3.X-ABDATE:2005-05-05", "item3.X-ABLABEL:anniversary", "X-ABDATE:1999-01-01"},
	},
	{
		name: "urls: home, work, and the types vCard lacks as labels",
		person: Person{URLs: []URL{
			{Value: "https://home.example/", Type: "home"},
			{Metadata: primary(), Value: "https://work.example/", Type: "work"},
			{Value: "https://blog.example/", Type: "blog"},
			{Value: "https://me.example/", Type: "homePage"},
			{Value: "https://social.example/ann", Type: "profile"},
			{Value: "ftp://files.example/", Type: "ftp"},
		}},
		card: []string{"URL;TYPE=home:https://home.example/", "URL;TYPE=work;PREF=1:https://work.example/",
			"item1.URL:https://blog.example/", "item1.X-ABLABEL:blog",
			"item2.URL:https://me.example/", "item2.X-ABLABEL:homePage",
			"item3.URL:https://social.example/ann", "item3.X-ABLABEL:profile",
			"item4.URL:ftp://files.example/", "item4.X-ABLABEL:ftp"},
	},
	{
		name:   "biographies: plain text",
		person: Person{Biographies: []Biography{{Value: "Met at the conference; likes tea, coffee\nand cake.", ContentType: "TEXT_PLAIN"}}},
		card:   []string{`NOTE:Met at the conference; likes tea\, coffee\nand cake.`},
	},
	{
		name:   "biographies: HTML",
		person: Person{Biographies: []Biography{{Value: "<b>VIP</b>", ContentType: "TEXT_HTML"}}},
		card:   []string{"NOTE;X-GOOGLE-CONTENT-TYPE=TEXT_HTML:<b>VIP</b>"},
	},
	{
		name: "relations: RFC types, hinted labels, labels, a URI",
		person: Person{Relations: []Relation{
			{Person: "Bob", Type: "spouse", FormattedType: "Spouse"},
			{Person: "Carol", Type: "mother"},
			{Person: "Dave", Type: "relative"},
			{Person: "Eve", Type: "referredBy"},
			{Person: "Frank", Type: "co-worker"},
			{Person: "urn:uuid:0c8f3a4e-1b2c-4d5e-8f90-123456789abc", Type: "child"},
			{Person: "Gina, the neighbour"},
		}},
		card: []string{"RELATED;TYPE=spouse;VALUE=text:Bob",
			"item1.RELATED;TYPE=parent;VALUE=text:Carol", "item1.X-ABLABEL:mother",
			"RELATED;TYPE=kin;VALUE=text:Dave",
			"item2.RELATED;VALUE=text:Eve", "item2.X-ABLABEL:referredBy",
			"RELATED;TYPE=co-worker;VALUE=text:Frank",
			"RELATED;TYPE=child:urn:uuid:0c8f3a4e-1b2c-4d5e-8f90-123456789abc",
			`RELATED;VALUE=text:Gina\, the neighbour`},
	},
	{
		name: "imClients and sipAddresses: IMPP",
		person: Person{IMClients: []IMClient{
			{Username: "ann@jabber.example", Protocol: "jabber", Type: "home", FormattedProtocol: "Jabber"},
			{Metadata: primary(), Username: "ann.lee", Protocol: "skype"},
			{Username: "ann@gmail.example", Protocol: "googleTalk"},
			{Username: "ann lee", Protocol: "Threema", Type: "Phone app"},
			{Username: "annl", Protocol: "irc"},
			{Username: "12345", Protocol: "icq"},
			{Username: "ann-no-protocol"},
		}, SIPAddresses: []SIPAddress{
			{Value: "sip:ann@voip.example", Type: "work"},
			{Value: "sip:ann@mobile.example", Type: "mobile"},
		}},
		card: []string{"IMPP;TYPE=home:xmpp:ann@jabber.example", "IMPP;PREF=1:skype:ann.lee",
			"IMPP;X-SERVICE-TYPE=GoogleTalk:xmpp:ann@gmail.example",
			"item1.IMPP;X-SERVICE-TYPE=Threema:x-apple:ann%20lee", "item1.X-ABLABEL:Phone app",
			"IMPP:irc:annl", "IMPP:icq:12345", "IMPP:ann-no-protocol",
			"IMPP;TYPE=work:sip:ann@voip.example", "IMPP;TYPE=cell:sip:ann@mobile.example"},
	},
	{
		name:   "userDefined: the key is the label",
		person: Person{UserDefined: []UserDefined{{Key: "Shoe size", Value: "42"}, {Value: "no key"}}},
		card: []string{"item1.X-GOOGLE-USER-DEFINED:42", "item1.X-ABLABEL:Shoe size",
			"X-GOOGLE-USER-DEFINED:no key"},
	},
	{
		name:   "externalIds",
		person: Person{ExternalIDs: []ExternalID{{Value: "C-1001", Type: "customer"}, {Value: "x9"}}},
		card:   []string{"X-GOOGLE-EXTERNAL-ID;X-GOOGLE-TYPE=customer:C-1001", "X-GOOGLE-EXTERNAL-ID:x9"},
	},
	{
		name:   "genders: predefined value and pronouns",
		person: Person{Genders: []Gender{{Value: "female", FormattedValue: "Female", AddressMeAs: "she/her"}}},
		card:   []string{"GENDER:F", "PRONOUNS:she/her"},
	},
	{
		name:   "genders: custom value",
		person: Person{Genders: []Gender{{Value: "nonbinary"}}},
		card:   []string{"GENDER:O;nonbinary"},
	},
	{
		name:   "genders: unspecified",
		person: Person{Genders: []Gender{{Value: "unspecified"}}},
		card:   []string{"GENDER:U"},
	},
	{
		name: "calendarUrls: free/busy, home, custom",
		person: Person{CalendarURLs: []CalendarURL{
			{URL: "https://cal.example/fb", Type: "freeBusy"},
			{URL: "https://cal.example/home", Type: "home"},
			{URL: "https://cal.example/club", Type: "Club"},
		}},
		card: []string{"FBURL:https://cal.example/fb", "CALURI;TYPE=home:https://cal.example/home",
			"item1.CALURI:https://cal.example/club", "item1.X-ABLABEL:Club"},
	},
	{
		name: "locales, interests, occupations, locations, miscKeywords",
		person: Person{
			Locales:     []Locale{{Value: "en"}, {Metadata: primary(), Value: "fr-CA"}},
			Interests:   []Interest{{Value: "sailing"}},
			Occupations: []Occupation{{Value: "carpenter"}},
			Locations: []Location{{Value: "North wing", Type: "desk", BuildingID: "B4", Floor: "3",
				FloorSection: "east", DeskCode: "3E-12", Current: boolPtr(true)}},
			MiscKeywords: []MiscKeyword{{Value: "Q3", Type: "OUTLOOK_BILLING_INFORMATION"}},
		},
		card: []string{"LANG:en", "LANG;PREF=1:fr-CA", "INTEREST:sailing", "X-GOOGLE-OCCUPATION:carpenter",
			"X-GOOGLE-LOCATION;X-GOOGLE-TYPE=desk;X-GOOGLE-BUILDING-ID=B4;X-GOOGLE-FLOOR=3;" +
				"X-GOOGLE-FLOOR-SECTION=east;X-GOOGLE-DESK-CODE=3E-12;X-GOOGLE-CURRENT=true:North wing",
			"X-GOOGLE-KEYWORD;X-GOOGLE-TYPE=OUTLOOK_BILLING_INFORMATION:Q3"},
	},
	{
		name: "memberships: user groups are categories, starred a marker, myContacts nothing",
		person: Person{Memberships: []Membership{
			{ContactGroupMembership: &ContactGroupMembership{ContactGroupID: "myContacts", ContactGroupResourceName: groupMyContacts}},
			{ContactGroupMembership: &ContactGroupMembership{ContactGroupResourceName: groupStarred}},
			{ContactGroupMembership: &ContactGroupMembership{ContactGroupResourceName: "contactGroups/1a2b"}},
			{ContactGroupMembership: &ContactGroupMembership{ContactGroupResourceName: "contactGroups/3c4d"}},
		}},
		groups: map[string]string{"contactGroups/1a2b": "Family", "contactGroups/3c4d": "Book club, Tuesdays"},
		card:   []string{`CATEGORIES:Family,Book club\, Tuesdays`, "X-GOOGLE-STARRED:TRUE"},
	},
	{
		name:   "clientData: the UID",
		person: Person{ClientData: []ClientData{{Key: clientKeyUID, Value: "urn:uuid:5b1c7f0e-2a3d-4e5f-9a0b-1c2d3e4f5a6b"}}},
		card:   []string{"UID:urn:uuid:5b1c7f0e-2a3d-4e5f-9a0b-1c2d3e4f5a6b"},
	},
	{
		name:   "photos: the user's photo by URL",
		person: Person{Photos: []Photo{{Metadata: primary(), URL: "https://lh3.googleusercontent.com/a/abc=s100"}}},
		card:   []string{"PHOTO:https://lh3.googleusercontent.com/a/abc=s100"},
	},
}

// samePerson fails t when got, as fromCard made it, differs from want in
// what updateMask compares, or in its photo.
func samePerson(t *testing.T, want, got *Person) {
	t.Helper()
	want = clonePerson(t, want)
	if want.Memberships == nil {
		want.Memberships = []Membership{membership(groupMyContacts)}
	}
	if mask := updateMask(want, got); len(mask) > 0 {
		w, _ := json.MarshalIndent(want, "", " ")
		g, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("fromCard differs in %v\nwant %s\ngot  %s", mask, w, g)
	}
	if photoURL(want) != photoURL(got) {
		t.Errorf("photo: want %q, got %q", photoURL(want), photoURL(got))
	}
}

func clonePerson(t *testing.T, p *Person) *Person {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Person
	if err := json.Unmarshal(b, &q); err != nil {
		t.Fatal(err)
	}
	return &q
}

func TestFieldRows(t *testing.T) {
	for _, tc := range fieldCases {
		t.Run(tc.name, func(t *testing.T) {
			want := card(t, tc.card...)
			got, err := toCard(&tc.person, tc.groups)
			if err != nil {
				t.Fatalf("toCard: %v", err)
			}
			if got.Hash() != want.Hash() {
				t.Errorf("toCard:\n  %s\ngot:\n%s", strings.Join(diffCards(want, got), "\n  "), show(got))
			}
			ids := map[string]string{}
			for id, name := range tc.groups {
				ids[name] = id
			}
			p, newGroups := fromCard(want, ids)
			if len(newGroups) > 0 {
				t.Errorf("fromCard: new groups %q", newGroups)
			}
			samePerson(t, &tc.person, p)
		})
	}
}

// TestToCard covers what only reading from Google does.
func TestToCard(t *testing.T) {
	profile := &FieldMetadata{Source: &Source{Type: "PROFILE", ID: "1139"}}
	cases := []struct {
		name   string
		person Person
		card   []string
	}{
		{"the display name stands in for a missing free-form name",
			Person{Names: []Name{{DisplayName: "Ann Lee", GivenName: "Ann", FamilyName: "Lee"}}},
			[]string{"FN:Ann Lee", "N:Lee;Ann;;;"}},
		{"a structured name alone gets an FN",
			Person{Names: []Name{{GivenName: "Ann", FamilyName: "Lee", HonorificPrefix: "Dr."}}},
			[]string{"FN:Dr. Ann Lee", "N:Lee;Ann;;Dr.;"}},
		{"one name only (names is a singleton)",
			Person{Names: []Name{{UnstructuredName: "Ann"}, {UnstructuredName: "Annie"}}},
			[]string{"FN:Ann"}},
		{"Google's generated avatar is not a photo",
			Person{Photos: []Photo{{URL: "https://lh3.googleusercontent.com/cm/xyz", Default: true}}},
			nil},
		{"the primary photo wins",
			Person{Photos: []Photo{{URL: "https://example.com/a"}, {URL: "https://example.com/b", Metadata: primary()}}},
			[]string{"PHOTO:https://example.com/b"}},
		{"items from a Google profile are not the contact's",
			Person{Names: []Name{{Metadata: profile, UnstructuredName: "Profile Name"}, {UnstructuredName: "Contact Name"}},
				EmailAddresses: []EmailAddress{{Metadata: profile, Value: "me@profile.example"}, {Value: "c@contact.example"}}},
			[]string{"FN:Contact Name", "EMAIL:c@contact.example"}},
		{"the record key is not part of the card",
			Person{ClientData: []ClientData{{Key: clientKeyRecord, Value: "kXJ5pQ0vR2aS"}, {Key: "other.app", Value: "v"}}},
			nil},
		{"deprecated system groups are not categories",
			Person{Memberships: []Membership{{ContactGroupMembership: &ContactGroupMembership{ContactGroupResourceName: "contactGroups/friends"}}}},
			nil},
		{"REV comes from the contact source's update time",
			Person{Metadata: &PersonMetadata{Sources: []Source{{Type: "CONTACT", ID: "7f3a", Etag: "#x",
				UpdateTime: "2024-05-03T09:38:52.008543Z"}}}, Names: []Name{{UnstructuredName: "Ann"}}},
			[]string{"FN:Ann", "REV:20240503T093852Z"}},
		{"a first primary item is not PREF (Google makes it primary on its own)",
			Person{EmailAddresses: []EmailAddress{{Metadata: primary(), Value: "a@x.example"}},
				PhoneNumbers: []PhoneNumber{{Metadata: profile, Value: "0"}, {Metadata: primary(), Value: "1"}, {Value: "2"}}},
			[]string{"EMAIL:a@x.example", "TEL:1", "TEL:2"}},
		{"custom types: sorted vCard TYPE words are TYPEs, anything else a label",
			Person{EmailAddresses: []EmailAddress{{Value: "a@x.example", Type: "home,x-private"},
				{Value: "b@x.example", Type: "work,home"}, {Value: "c@x.example", Type: "pref"},
				{Value: "d@x.example", Type: "Home"}}},
			[]string{"EMAIL;TYPE=home,x-private:a@x.example", "item1.EMAIL:b@x.example", `item1.X-ABLABEL:work\,home`,
				"item2.EMAIL:c@x.example", "item2.X-ABLABEL:pref", "item3.EMAIL:d@x.example", "item3.X-ABLABEL:Home"}},
		{"an empty organization is no organization",
			Person{Organizations: []Organization{{FormattedType: "Work"}, {Name: "Acme", Title: "CTO"}}},
			[]string{"ORG:Acme", "TITLE:CTO"}},
		{"empty values are skipped",
			Person{EmailAddresses: []EmailAddress{{Type: "home"}}, PhoneNumbers: []PhoneNumber{{Type: "mobile"}},
				Addresses: []Address{{Type: "home"}}, Events: []Event{{Type: "anniversary"}}},
			nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toCard(&tc.person, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := card(t, tc.card...)
			if got.Hash() != want.Hash() {
				t.Errorf("toCard:\n  %s", strings.Join(diffCards(want, got), "\n  "))
			}
			if want.Value("REV") != got.Value("REV") {
				t.Errorf("REV: want %q, got %q", want.Value("REV"), got.Value("REV"))
			}
		})
	}
}

func TestToCardErrors(t *testing.T) {
	t.Run("membership of a group the list lacks", func(t *testing.T) {
		p := &Person{ResourceName: "people/c42", Names: []Name{{UnstructuredName: "Zelda Secretname"}},
			EmailAddresses: []EmailAddress{{Value: "zelda@secret.example"}},
			Memberships:    []Membership{membership("contactGroups/9f9f")}}
		_, err := toCard(p, map[string]string{"contactGroups/1a": "Family"})
		if !errors.Is(err, errUnknownGroup) {
			t.Fatalf("err = %v, want errUnknownGroup", err)
		}
		for _, secret := range []string{"Zelda", "Secretname", "zelda@secret.example"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q names contact data %q", err, secret)
			}
		}
		if !strings.Contains(err.Error(), "people/c42") || !strings.Contains(err.Error(), "contactGroups/9f9f") {
			t.Errorf("error %q does not name the person and the group by id", err)
		}
	})
	t.Run("a deleted person", func(t *testing.T) {
		_, err := toCard(&Person{ResourceName: "people/c7", Metadata: &PersonMetadata{Deleted: true}}, nil)
		if err == nil {
			t.Fatal("no error")
		}
	})
}

// TestFromCard covers what only reading a card does: the lenient reading of
// what other vCard writers produce.
func TestFromCard(t *testing.T) {
	cases := []struct {
		name   string
		card   []string
		person Person
	}{
		{"TEL: voice says nothing; capabilities Google lacks go when the rest is a Google type",
			[]string{"TEL;TYPE=cell,voice:1", "TEL;TYPE=voice:2", "TEL;TYPE=home,msg,voice:3", "TEL;TYPE=cell,text:4",
				"TEL;TYPE=video:5"},
			Person{PhoneNumbers: []PhoneNumber{{Value: "1", Type: "mobile"}, {Value: "2"}, {Value: "3", Type: "home"},
				{Value: "4", Type: "mobile"}, {Value: "5", Type: "video"}}}},
		{"TEL: a tel: URI is a number",
			[]string{"TEL;VALUE=uri;TYPE=work:tel:+1-555-0100"},
			Person{PhoneNumbers: []PhoneNumber{{Value: "+1-555-0100", Type: "work"}}}},
		{"TEL: main as a TYPE is Google's main",
			[]string{"TEL;TYPE=main:1"},
			Person{PhoneNumbers: []PhoneNumber{{Value: "1", Type: "main"}}}},
		{"ADR: postal and parcel go when the rest is a Google type; else the TYPE is kept",
			[]string{"ADR;TYPE=home,postal:;;1 Main St;;;;", "ADR;TYPE=parcel,postal:;;2 Main St;;;;"},
			Person{Addresses: []Address{{Type: "home", StreetAddress: "1 Main St"}, {Type: "parcel,postal", StreetAddress: "2 Main St"}}}},
		{"ADR: a LABEL beside components is left for Google to rebuild",
			[]string{"ADR;LABEL=\"1 Main St, Springfield\":;;1 Main St;Springfield;;;"},
			Person{Addresses: []Address{{StreetAddress: "1 Main St", City: "Springfield"}}}},
		{"PREF: the lowest wins, one primary per field",
			[]string{"EMAIL;PREF=50:a@x.example", "EMAIL;PREF=10:b@x.example", "EMAIL;PREF=10:c@x.example", "TEL;PREF=1:9"},
			Person{EmailAddresses: []EmailAddress{{Value: "a@x.example"}, {Value: "b@x.example", Metadata: primaryMeta(true)},
				{Value: "c@x.example"}}, PhoneNumbers: []PhoneNumber{{Value: "9", Metadata: primaryMeta(true)}}}},
		{"single-valued properties: the first is taken",
			[]string{"FN:Ann", "FN:Annie", "NOTE:one", "NOTE:two", "BDAY:19700101", "BDAY:19800101",
				"GENDER:F", "GENDER:M", "PHOTO:https://example.com/1", "PHOTO:https://example.com/2", "UID:u1", "UID:u2"},
			Person{Names: []Name{{UnstructuredName: "Ann"}}, Biographies: []Biography{{Value: "one"}},
				Birthdays: []Birthday{{Date: date(1970, 1, 1)}}, Genders: []Gender{{Value: "female"}},
				Photos: []Photo{{URL: "https://example.com/1"}}, ClientData: []ClientData{{Key: clientKeyUID, Value: "u1"}}}},
		{"BDAY: the spellings vCard writers use",
			[]string{"BDAY:1996-04-15T00:00:00Z"},
			Person{Birthdays: []Birthday{{Date: date(1996, 4, 15), Text: "1996-04-15T00:00:00Z"}}}},
		{"BDAY: without a year, with dashes",
			[]string{"BDAY:--04-15"},
			Person{Birthdays: []Birthday{{Date: date(0, 4, 15), Text: "--04-15"}}}},
		{"BDAY: not a date",
			[]string{"BDAY:circa 1800"},
			Person{Birthdays: []Birthday{{Text: "circa 1800"}}}},
		{"ANNIVERSARY and X-ABDATE that are not dates have no place",
			[]string{"ANNIVERSARY;VALUE=text:our wedding", "item1.X-ABDATE:soon", "item1.X-ABLABEL:x"},
			Person{}},
		{"IMPP: Apple's service types",
			[]string{"item1.IMPP;X-SERVICE-TYPE=Jabber;TYPE=home:xmpp:a@j.example", "item1.X-ABLABEL:Other",
				"IMPP;X-SERVICE-TYPE=ICQ:aim:123", "IMPP;X-SERVICE-TYPE=GoogleTalk:xmpp:b@g.example"},
			Person{IMClients: []IMClient{{Username: "a@j.example", Protocol: "Jabber", Type: "Other"},
				{Username: "123", Protocol: "ICQ"}, {Username: "b@g.example", Protocol: "googleTalk"}}}},
		{"GENDER forms",
			[]string{"GENDER:O", "PRONOUNS:they/them"},
			Person{Genders: []Gender{{Value: "O", AddressMeAs: "they/them"}}}},
		{"labels are kept as they are (Apple's built-in ones too)",
			[]string{"item1.URL:https://a.example", "item1.X-ABLabel:_$!<HomePage>!$_",
				"item2.X-ABDATE:2000-02-01", "item2.X-ABLabel:_$!<Anniversary>!$_"},
			Person{URLs: []URL{{Value: "https://a.example", Type: "_$!<HomePage>!$_"}},
				Events: []Event{{Date: date(2000, 2, 1), Type: "_$!<Anniversary>!$_"}}}},
		{"ORG, TITLE and ROLE without groups pair up in order",
			[]string{"ORG:A", "TITLE:t1", "ORG:B", "ROLE:r1", "TITLE:t2"},
			Person{Organizations: []Organization{{Name: "A", Title: "t1", JobDescription: "r1"}, {Name: "B", Title: "t2"}}}},
		{"what Google does not store is ignored",
			[]string{"FN:Ann", "X-EVOLUTION-FILE-AS:Lee, Ann", "GEO:geo:1,2", "item1.X-ABADR:us", "KEY:data:,x"},
			Person{Names: []Name{{UnstructuredName: "Ann"}}}},
		{"X-GOOGLE-STARRED",
			[]string{"X-GOOGLE-STARRED:TRUE"},
			Person{Memberships: []Membership{membership(groupMyContacts), membership(groupStarred)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := fromCard(card(t, tc.card...), nil)
			samePerson(t, &tc.person, p)
		})
	}
}

func TestFromCardCategories(t *testing.T) {
	c := card(t, "CATEGORIES:Family,Work,My Contacts", "CATEGORIES:work,Book club,Family", "CATEGORIES:")
	p, newGroups := fromCard(c, map[string]string{"Family": "contactGroups/1a", "WORK": "contactGroups/2b"})
	if want := []string{"Book club"}; !slices.Equal(newGroups, want) {
		t.Errorf("new groups %q, want %q", newGroups, want)
	}
	var got []string
	for _, m := range p.Memberships {
		got = append(got, groupOf(m))
	}
	if want := []string{groupMyContacts, "contactGroups/1a", "contactGroups/2b"}; !slices.Equal(got, want) {
		t.Errorf("memberships %q, want %q", got, want)
	}
	_, newGroups = fromCard(c, nil)
	if want := []string{"Family", "Work", "work", "Book club"}; !slices.Equal(newGroups, want) {
		t.Errorf("with no groups: new groups %q, want %q", newGroups, want)
	}
}

func TestDates(t *testing.T) {
	cases := []struct {
		in       string
		want     Date
		ok       bool
		basic    string
		extended string
	}{
		{"19701230", Date{1970, 12, 30}, true, "19701230", "1970-12-30"},
		{"1970-12-30", Date{1970, 12, 30}, true, "19701230", "1970-12-30"},
		{"1970-12-30T10:00:00Z", Date{1970, 12, 30}, true, "19701230", "1970-12-30"},
		{"--1230", Date{0, 12, 30}, true, "--1230", "--12-30"},
		{"--12-30", Date{0, 12, 30}, true, "--1230", "--12-30"},
		{"1970-12", Date{1970, 12, 0}, true, "1970-12", "1970-12"},
		{"1970", Date{1970, 0, 0}, true, "1970", "1970"},
		{"--12", Date{0, 12, 0}, true, "--12", "--12"},
		{"---30", Date{0, 0, 30}, true, "---30", "---30"},
		{"19701330", Date{}, false, "", ""},
		{"19701232", Date{}, false, "", ""},
		{"00001230", Date{}, false, "", ""},
		{"1970-1-3", Date{}, false, "", ""},
		{"12/30/1970", Date{}, false, "", ""},
		{"", Date{}, false, "", ""},
	}
	for _, tc := range cases {
		got, ok := parseDate(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseDate(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if !ok {
			continue
		}
		if s := formatDate(&got, false); s != tc.basic {
			t.Errorf("formatDate(%v) = %q, want %q", got, s, tc.basic)
		}
		if s := formatDate(&got, true); s != tc.extended {
			t.Errorf("formatDate(%v, extended) = %q, want %q", got, s, tc.extended)
		}
	}
}

// ---------------------------------------------------------------------------
// Writing back

// richPerson is a contact as connections.list returns it, with every field
// the mapping handles and the output-only noise Google adds.
func richPerson() *Person {
	p := &Person{
		ResourceName: "people/c8571940186043591234",
		Etag:         "%EgUBAi43PRoEAQIFByIMbW9jS2tYZ2FhY2c9",
		Metadata: &PersonMetadata{Sources: []Source{{Type: "CONTACT", ID: "76fe7bd00f8a8f83", Etag: "#euwPitXZO7A=",
			UpdateTime: "2025-01-02T03:04:05Z"}}},
		Skills: []Skill{{Value: "knots"}},
		Photos: []Photo{{Metadata: primary(), URL: "https://lh3.googleusercontent.com/contacts/abc"}},
		ClientData: []ClientData{{Metadata: contactSource(), Key: clientKeyRecord, Value: "kXJ5pQ0vR2aS"},
			{Metadata: contactSource(), Key: "other.app", Value: "42"}},
		Memberships: []Membership{
			{Metadata: contactSource(), ContactGroupMembership: &ContactGroupMembership{ContactGroupID: "friends",
				ContactGroupResourceName: "contactGroups/friends"}},
		},
	}
	for _, tc := range fieldCases {
		q := tc.person
		if len(q.Names) > 0 && p.Names == nil {
			p.Names = q.Names
		}
		if len(q.Birthdays) > 0 && p.Birthdays == nil {
			p.Birthdays = q.Birthdays
		}
		if len(q.Biographies) > 0 && p.Biographies == nil {
			p.Biographies = q.Biographies
		}
		if len(q.Genders) > 0 && p.Genders == nil {
			p.Genders = q.Genders
		}
		p.Nicknames = append(p.Nicknames, q.Nicknames...)
		p.EmailAddresses = append(p.EmailAddresses, q.EmailAddresses...)
		p.PhoneNumbers = append(p.PhoneNumbers, q.PhoneNumbers...)
		p.Addresses = append(p.Addresses, q.Addresses...)
		p.Organizations = append(p.Organizations, q.Organizations...)
		p.Events = append(p.Events, q.Events...)
		p.URLs = append(p.URLs, q.URLs...)
		p.Relations = append(p.Relations, q.Relations...)
		p.IMClients = append(p.IMClients, q.IMClients...)
		p.SIPAddresses = append(p.SIPAddresses, q.SIPAddresses...)
		p.UserDefined = append(p.UserDefined, q.UserDefined...)
		p.ExternalIDs = append(p.ExternalIDs, q.ExternalIDs...)
		p.CalendarURLs = append(p.CalendarURLs, q.CalendarURLs...)
		p.Locales = append(p.Locales, q.Locales...)
		p.Interests = append(p.Interests, q.Interests...)
		p.Occupations = append(p.Occupations, q.Occupations...)
		p.Locations = append(p.Locations, q.Locations...)
		p.MiscKeywords = append(p.MiscKeywords, q.MiscKeywords...)
		if tc.groups != nil {
			p.Memberships = append(p.Memberships, q.Memberships...)
		}
		p.ClientData = append(p.ClientData, q.ClientData...)
	}
	return p
}

var richGroups = map[string]string{"contactGroups/1a2b": "Family", "contactGroups/3c4d": "Book club, Tuesdays"}

func invert(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[v] = k
	}
	return out
}

// TestUnchangedWritesNothing is the Google side of convergence: a contact
// read, turned into a card and back without a change gives an empty
// updateMask, loses nothing the connector writes, and keeps what it does
// not (record key, other clients' data, deprecated groups, skills).
func TestUnchangedWritesNothing(t *testing.T) {
	old := richPerson()
	c, err := toCard(old, richGroups)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Props {
		if !capabilities().Stores(p.Name) {
			t.Errorf("toCard wrote %s, which Capabilities does not name", p.Name)
		}
	}
	updated, newGroups := fromCard(capabilities().Project(c), invert(richGroups))
	if len(newGroups) > 0 {
		t.Errorf("new groups %q", newGroups)
	}
	carryOver(old, updated)
	if mask := updateMask(old, updated); len(mask) > 0 {
		for _, f := range mask {
			o, _ := json.Marshal(fieldOf(old, f))
			n, _ := json.Marshal(fieldOf(updated, f))
			t.Errorf("%s differs:\nold %s\nnew %s", f, o, n)
		}
	}
	if k := recordKey(updated); k != "kXJ5pQ0vR2aS" {
		t.Errorf("record key %q after carryOver", k)
	}
	if updated.Etag != old.Etag || updated.ResourceName != old.ResourceName ||
		updated.Metadata == nil || updated.Metadata.Sources[0].Etag != "#euwPitXZO7A=" {
		t.Errorf("etags and resource name not carried over: %+v", updated)
	}
	back, err := toCard(updated, richGroups)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != c.Hash() {
		t.Errorf("card changed on the way back:\n  %s", strings.Join(diffCards(c, back), "\n  "))
	}
}

func TestUpdateMask(t *testing.T) {
	base := func() *Person {
		return &Person{
			Names:          []Name{{UnstructuredName: "Ann Lee", GivenName: "Ann", FamilyName: "Lee"}},
			EmailAddresses: []EmailAddress{{Value: "a@x.example", Type: "home"}},
			Addresses:      []Address{{StreetAddress: "1 Main St", City: "Springfield"}},
			Memberships:    []Membership{membership(groupMyContacts), membership("contactGroups/1a")},
			ClientData:     []ClientData{{Key: clientKeyRecord, Value: "r1"}, {Key: "other", Value: "o"}},
		}
	}
	cases := []struct {
		name string
		edit func(p *Person)
		want []string
	}{
		{"nothing", func(*Person) {}, nil},
		{"output-only values and metadata are not changes", func(p *Person) {
			p.Names[0].DisplayName, p.Names[0].DisplayNameLastFirst = "Ann Lee", "Lee, Ann"
			p.Names[0].Metadata = primary()
			p.EmailAddresses[0].FormattedType = "Home"
			p.EmailAddresses[0].Metadata = primary()
			p.Addresses[0].FormattedValue = "1 Main St\nSpringfield"
			p.Memberships[0].ContactGroupMembership.ContactGroupID = "myContacts"
			p.Photos = []Photo{{URL: "https://example.com/p"}}
			p.Skills = []Skill{{Value: "x"}}
		}, nil},
		{"order of memberships and client data is not a change", func(p *Person) {
			slices.Reverse(p.Memberships)
			slices.Reverse(p.ClientData)
		}, nil},
		{"a changed value", func(p *Person) { p.EmailAddresses[0].Value = "b@x.example" }, []string{"emailAddresses"}},
		{"a changed type", func(p *Person) { p.EmailAddresses[0].Type = "work" }, []string{"emailAddresses"}},
		{"a new primary among several", func(p *Person) {
			p.EmailAddresses = append(p.EmailAddresses, EmailAddress{Value: "c@x.example", Metadata: primaryMeta(true)})
		}, []string{"emailAddresses"}},
		{"a formatted address without structure", func(p *Person) {
			p.Addresses = []Address{{FormattedValue: "somewhere"}}
		}, []string{"addresses"}},
		{"a field cleared", func(p *Person) { p.Names = nil }, []string{"names"}},
		{"a field added", func(p *Person) { p.Biographies = []Biography{{Value: "hi"}} }, []string{"biographies"}},
		{"a group left", func(p *Person) { p.Memberships = p.Memberships[:1] }, []string{"memberships"}},
		{"several fields, in mask order", func(p *Person) {
			p.URLs = []URL{{Value: "https://x.example"}}
			p.Names[0].GivenName = "Anne"
			p.ClientData = p.ClientData[:1]
		}, []string{"clientData", "names", "urls"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.edit(p)
			if got := updateMask(base(), p); !slices.Equal(got, tc.want) {
				t.Errorf("updateMask = %q, want %q", got, tc.want)
			}
		})
	}
	for _, f := range updatableFields {
		if f == "photos" || f == "skills" || f == "fileAses" {
			t.Errorf("%s is not a valid updatePersonFields value", f)
		}
	}
}

func TestRecordKey(t *testing.T) {
	p := &Person{ClientData: []ClientData{{Key: "other.app", Value: "1"}}}
	if k := recordKey(p); k != "" {
		t.Errorf("recordKey of a contact made elsewhere = %q", k)
	}
	setRecordKey(p, "first")
	setRecordKey(p, "kXJ5pQ0vR2aS")
	if k := recordKey(p); k != "kXJ5pQ0vR2aS" {
		t.Errorf("recordKey = %q", k)
	}
	if len(p.ClientData) != 2 || p.ClientData[0].Key != "other.app" {
		t.Errorf("client data %+v: want the other app's entry and one record key", p.ClientData)
	}
	foreign := &Person{ClientData: []ClientData{{Key: clientKeyRecord, Value: "x",
		Metadata: &FieldMetadata{Source: &Source{Type: "PROFILE"}}}}}
	if k := recordKey(foreign); k != "" {
		t.Errorf("recordKey from a profile source = %q", k)
	}
}

func TestCarryOverSystemGroups(t *testing.T) {
	old := &Person{Memberships: []Membership{membership(groupMyContacts), membership(groupStarred),
		membership("contactGroups/family"), membership("contactGroups/1a")}}
	updated, _ := fromCard(card(t, "FN:x"), nil)
	carryOver(old, updated)
	var got []string
	for _, m := range updated.Memberships {
		got = append(got, groupOf(m))
	}
	// starred and the user group follow the card (which dropped them);
	// the deprecated family group cannot be added again, so it stays.
	if want := []string{groupMyContacts, "contactGroups/family"}; !slices.Equal(got, want) {
		t.Errorf("memberships %q, want %q", got, want)
	}
}

func TestPhoto(t *testing.T) {
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3}
	c := card(t, "FN:x", "PHOTO:https://lh3.googleusercontent.com/x")
	setPhoto(c, "image/jpeg", jpeg)
	if n := len(c.All("PHOTO")); n != 1 {
		t.Fatalf("%d PHOTO properties after setPhoto", n)
	}
	p, _ := fromCard(c, nil)
	data, ok, err := photoBytes(p)
	if err != nil || !ok || string(data) != string(jpeg) {
		t.Errorf("photoBytes = %x, %v, %v; want the JPEG", data, ok, err)
	}
	for _, v := range []string{"PHOTO:https://example.com/a.jpg", "PHOTO:data:image/gif;base64,R0lGODlhAQABAAAAACw=",
		"PHOTO:data:image/jpeg;base64,***"} {
		p, _ := fromCard(card(t, v), nil)
		if _, ok, err := photoBytes(p); !ok || !errors.Is(err, errPhotoFormat) {
			t.Errorf("%s: ok %v, err %v; want errPhotoFormat", v, ok, err)
		}
	}
	if _, ok, err := photoBytes(&Person{}); ok || err != nil {
		t.Errorf("no photo: ok %v, err %v", ok, err)
	}
}

func TestCapabilities(t *testing.T) {
	caps := capabilities()
	for _, name := range []string{"FN", "N", "BDAY", "NOTE", "GENDER", "PRONOUNS", "PHOTO", "UID", "ANNIVERSARY"} {
		if n, ok := caps.Properties[name]; !ok || n != 1 {
			t.Errorf("%s: limit %d (stored %v), want one value", name, n, ok)
		}
	}
	for _, name := range []string{"EMAIL", "TEL", "ADR", "URL", "IMPP", "CATEGORIES", "X-ABLABEL", "ORG"} {
		if n, ok := caps.Properties[name]; !ok || n != 0 {
			t.Errorf("%s: limit %d (stored %v), want any number", name, n, ok)
		}
	}
	for _, name := range []string{"X-JABBER", "X-ABRELATEDNAMES", "EXPERTISE", "GEO", "KEY", "X-EVOLUTION-FILE-AS"} {
		if caps.Stores(name) {
			t.Errorf("%s should not be stored", name)
		}
	}
	caps.Properties["FN"] = 9
	if capabilities().Properties["FN"] != 1 {
		t.Error("capabilities shares its map")
	}
}

// FuzzThroughGoogle checks, for any readable card, what the corpus test
// checks: a trip to Google and back loses and invents no value, writes only
// stored properties, and a second trip changes nothing.
func FuzzThroughGoogle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.vcf"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	caps := capabilities()
	f.Fuzz(func(t *testing.T, data []byte) {
		cards, _ := mapping.ParseAll("fuzz", data)
		for _, c := range cards {
			want := caps.Project(c)
			got, err := throughGoogle(want)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range got.Props {
				if !caps.Stores(p.Name) {
					t.Fatalf("toCard wrote %s", p.Name)
				}
			}
			if changes := valueChanges(want, got); len(changes) > 0 {
				t.Fatalf("values changed:\n  %s\nin:\n%s", strings.Join(changes, "\n  "), show(want))
			}
			again, err := throughGoogle(got)
			if err != nil {
				t.Fatal(err)
			}
			if again.Hash() != got.Hash() {
				t.Fatalf("second trip changes the card:\n  %s\nin:\n%s", strings.Join(diffCards(got, again), "\n  "), show(want))
			}
		}
	})
}
