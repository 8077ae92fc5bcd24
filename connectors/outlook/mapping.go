package outlook

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// This file converts between a Graph contact (Contact) and a vCard
// (mapping.Card), both ways, with no I/O. The rules follow the Graph →
// vCard table of the project's Microsoft Graph reference (§2.1):
//
//   - Names: surname, givenName, middleName, title, generation → N;
//     displayName → FN; nickName → NICKNAME (items separated by commas);
//     yomiGivenName, yomiSurname, yomiCompanyName → X-PHONETIC-FIRST-NAME,
//     X-PHONETIC-LAST-NAME, X-PHONETIC-ORG (Apple's names, which the Google
//     connector uses too); fileAs → SORT-STRING (vCard 3.0's sort string,
//     where eM Client writes Exchange's File As); initials → X-MS-INITIALS.
//   - emailAddresses → EMAIL, in slot order (Email1 first). Graph's name of
//     an address is usually the display name or the address itself: it
//     becomes the X-MS-DISPLAY-NAME parameter only when it says something
//     else (a "Display as" the user typed), so that it causes no churn.
//   - businessPhones, homePhones, mobilePhone → TEL;TYPE=work, home, cell.
//   - homeAddress, businessAddress, otherAddress → ADR;TYPE=home, work,
//     other ("other" is what Apple and Google call the same slot).
//     officeLocation is the extended address of the work ADR, as Outlook's
//     and Exchange's own vCard export write it (ADR;WORK:;Office;Street…).
//   - companyName and department → ORG, jobTitle → TITLE, profession →
//     ROLE, manager and assistantName → X-MS-MANAGER and X-MS-ASSISTANT
//     (Outlook's export names), spouseName and children →
//     RELATED;VALUE=text;TYPE=spouse and child.
//   - birthday → BDAY (a date), businessHomePage → URL;TYPE=work,
//     imAddresses → IMPP (the text as it is), personalNotes → NOTE,
//     categories → CATEGORIES, lastModifiedDateTime → REV; the photo is
//     PHOTO, an inline JPEG the connector reads and writes on its own
//     (setPhoto, and the photo fromCard returns).
//   - The record key (an extended property) is not part of the card.
//
// Outlook has fixed slots (reference §2.1, §10.6): three e-mail addresses,
// two business and two home phones, one mobile, one address of each kind,
// three IM addresses, one organisation, one URL. fromCard takes the first
// values of each property in card order, as many as capabilities names
// (what connectors.Capabilities.Project keeps), and puts them in slots:
//
//   - EMAIL and IMPP: the preferred one (lowest PREF) first, then card order.
//   - TEL: TYPE=cell (or iphone) goes to mobilePhone, TYPE=work to
//     businessPhones, TYPE=home to homePhones, the preferred first; a number
//     of no such type (untyped, voice, other, text, car …) takes the first
//     free slot of home, business, mobile, so that nothing the user typed
//     vanishes while a slot is free. Fax, pager, modem and BBS numbers have
//     no v1.0 field: they stay in the hub only. A number whose slots are
//     full (a third business phone, a second mobile) is not written.
//   - ADR: TYPE=home to homeAddress, TYPE=work to businessAddress, any
//     other (untyped, postal …) to otherAddress; a home or work address
//     whose slot is taken goes to otherAddress when that is free.
//
// keep says exactly what comes back (toCard of fromCard): TYPE values
// become those of the slot (an untyped number comes back TYPE=home), PREF,
// groups and parameters other than X-MS-DISPLAY-NAME go, ADR loses its PO
// box and, but for the work address, its extended address, N and ADR
// components are plain text (a comma that separated list items comes back
// escaped), dates lose their time, year-less birthdays and text ones go,
// RELATED other than a spouse's or a child's name goes, a photo that is not
// an inline JPEG, PNG or GIF goes and a PNG or GIF comes back as JPEG, and
// a card without FN gains the name Outlook shows.

// Properties this connector writes for Graph fields vCard has no property
// for, and the parameter of an address's name.
const (
	propInitials       = "X-MS-INITIALS"
	propManager        = "X-MS-MANAGER"   // Outlook's export name
	propAssistant      = "X-MS-ASSISTANT" // Outlook's export name
	propPhoneticGiven  = "X-PHONETIC-FIRST-NAME"
	propPhoneticFamily = "X-PHONETIC-LAST-NAME"
	propPhoneticOrg    = "X-PHONETIC-ORG"
	propFileAs         = "SORT-STRING"
	paramEmailName     = "X-MS-DISPLAY-NAME"
)

// Outlook's slots (reference §2.1, §10.6).
const (
	emailSlots    = 3
	businessSlots = 2
	homeSlots     = 2
	imSlots       = 3 // IMAddress1–3 [U]
	telSlots      = businessSlots + homeSlots + 1
	adrSlots      = 3
)

// storedProperties maps every property toCard writes to the most values of
// it Outlook keeps (0: any number). TEL's limit is the number of phone
// slots: which numbers fit depends on their types, which a count cannot
// say, so keep does the exact work. RELATED holds the spouse and the
// children, however many.
var storedProperties = map[string]int{
	"FN": 1, "N": 1, "NICKNAME": 1,
	propInitials: 1, propPhoneticGiven: 1, propPhoneticFamily: 1, propPhoneticOrg: 1, propFileAs: 1,
	"EMAIL": emailSlots, "TEL": telSlots, "ADR": adrSlots,
	"ORG": 1, "TITLE": 1, "ROLE": 1, propManager: 1, propAssistant: 1,
	"RELATED": 0, "BDAY": 1, "URL": 1, "IMPP": imSlots, "NOTE": 1, "CATEGORIES": 0,
	"PHOTO": 1, "REV": 1,
}

// capabilities reports what Outlook stores, so that the bridge keeps the
// rest in the hub (connectors.Capabilities.Project). Properties lists
// exactly what toCard can produce, each with the number of slots Outlook
// has for it. New items are made from vCard 4.0 cards, the hub's version:
// Graph has no vCard version of its own. The connector sets the batch size
// and concurrency.
func capabilities() connectors.Capabilities {
	return connectors.Capabilities{
		Properties: maps.Clone(storedProperties),
		Version:    mapping.Version40,
	}
}

// keep returns what Outlook gives back of card once the connector has
// written it: toCard of fromCard, with the photo as stored. It is finer
// than Capabilities.Project, which works on whole properties: it also
// drops what the slots and fields have no room for (see the top of this
// file), so it is the Normalizer of the connector. keep does not modify
// card, and keep(keep(c)) equals keep(c).
func keep(card *mapping.Card) *mapping.Card {
	c, photo := fromCard(card)
	out, err := toCard(c)
	if err != nil {
		panic(err) // cannot happen: fromCard makes a contact that is not removed
	}
	setPhoto(out, photo)
	return out
}

// ---------------------------------------------------------------------------
// Contact → card

// toCard converts a Graph contact to a vCard 4.0 card. The photo is not
// part of a contact: the connector reads it on its own and adds it with
// setPhoto. A delta entry for a removed contact has no card.
func toCard(c *Contact) (*mapping.Card, error) {
	if c == nil {
		return nil, errors.New("outlook: no contact")
	}
	if c.Removed != nil {
		return nil, fmt.Errorf("outlook: contact %s is removed", c.ID)
	}
	b := cardBuilder{card: &mapping.Card{}}
	b.text("FN", shownName(c))
	if c.Surname != "" || c.GivenName != "" || c.MiddleName != "" || c.Title != "" || c.Generation != "" {
		p := mapping.Property{Name: "N"}
		p.SetComponents(c.Surname, c.GivenName, c.MiddleName, c.Title, c.Generation)
		b.card.Add(p)
	}
	if items := nicknames(c.NickName); len(items) > 0 {
		p := mapping.Property{Name: "NICKNAME"}
		p.SetList(items...)
		b.card.Add(p)
	}
	b.text(propInitials, c.Initials)
	b.text(propPhoneticGiven, c.YomiGivenName)
	b.text(propPhoneticFamily, c.YomiSurname)
	b.text(propPhoneticOrg, c.YomiCompanyName)
	b.text(propFileAs, c.FileAs)

	for _, e := range c.EmailAddresses {
		if e.Address == "" {
			continue
		}
		p := mapping.Property{Name: "EMAIL"}
		if meaningfulName(c, e) {
			p.SetParam(paramEmailName, e.Name)
		}
		p.SetText(e.Address)
		b.card.Add(p)
	}
	for _, v := range c.BusinessPhones {
		b.typed("TEL", "work", v)
	}
	for _, v := range c.HomePhones {
		b.typed("TEL", "home", v)
	}
	b.typed("TEL", "cell", c.MobilePhone)

	b.address("home", c.HomeAddress, "")
	b.address("work", c.BusinessAddress, c.OfficeLocation)
	b.address("other", c.OtherAddress, "")

	if c.CompanyName != "" || c.Department != "" {
		comps := []string{c.CompanyName}
		if c.Department != "" {
			comps = append(comps, strings.Split(c.Department, ";")...)
		}
		p := mapping.Property{Name: "ORG"}
		p.SetComponents(comps...)
		b.card.Add(p)
	}
	b.text("TITLE", c.JobTitle)
	b.text("ROLE", c.Profession)
	b.text(propManager, c.Manager)
	b.text(propAssistant, c.AssistantName)
	b.related("spouse", c.SpouseName)
	for _, child := range c.Children {
		b.related("child", child)
	}
	b.text("BDAY", birthdayText(c.Birthday))
	b.typed("URL", "work", c.BusinessHomePage)
	for _, im := range c.IMAddresses {
		b.text("IMPP", im)
	}
	b.text("NOTE", c.PersonalNotes)
	var categories []string
	for _, name := range c.Categories {
		if name != "" {
			categories = append(categories, name)
		}
	}
	if len(categories) > 0 {
		p := mapping.Property{Name: "CATEGORIES"}
		p.SetList(categories...)
		b.card.Add(p)
	}
	if t, err := time.Parse(time.RFC3339Nano, c.LastModifiedDateTime); err == nil {
		b.text("REV", t.UTC().Format("20060102T150405Z"))
	}
	return b.card, nil
}

// cardBuilder collects the properties toCard makes.
type cardBuilder struct {
	card *mapping.Card
}

// text adds a property holding the text v, unless v is empty.
func (b *cardBuilder) text(name, v string) {
	if v == "" {
		return
	}
	p := mapping.Property{Name: name}
	p.SetText(v)
	b.card.Add(p)
}

// typed adds a property of one TYPE holding v, unless v is empty.
func (b *cardBuilder) typed(name, typ, v string) {
	if v == "" {
		return
	}
	p := mapping.Property{Name: name}
	p.SetParam("TYPE", typ)
	p.SetText(v)
	b.card.Add(p)
}

// address adds an ADR of one TYPE, unless it is empty. office is the
// extended address (the work address's officeLocation).
func (b *cardBuilder) address(typ string, a PhysicalAddress, office string) {
	if a == (PhysicalAddress{}) && office == "" {
		return
	}
	p := mapping.Property{Name: "ADR"}
	p.SetParam("TYPE", typ)
	p.SetComponents("", office, a.Street, a.City, a.State, a.PostalCode, a.CountryOrRegion)
	b.card.Add(p)
}

// related adds the name of a relative as RELATED;VALUE=text, unless empty.
func (b *cardBuilder) related(typ, name string) {
	if name == "" {
		return
	}
	p := mapping.Property{Name: "RELATED"}
	p.SetParam("TYPE", typ)
	p.SetParam("VALUE", "text") // before SetText: the value is text, not a URI
	p.SetText(name)
	b.card.Add(p)
}

// shownName is the name Outlook shows for c: its displayName, else (when
// that is blank) the name parts in order, the nickname, the company, the
// first e-mail address or the first phone number, else the blank
// displayName itself.
func shownName(c *Contact) string {
	if strings.TrimSpace(c.DisplayName) != "" {
		return c.DisplayName
	}
	if n := fallbackName(c); n != "" {
		return n
	}
	return c.DisplayName
}

// fallbackName is the name of a contact without displayName: the name
// parts joined as Outlook generates displayName from them (the same rule
// as the fake's), or the first of nickname, company, e-mail address and
// phone number that is not blank, or "".
func fallbackName(c *Contact) string {
	var parts []string
	for _, s := range []string{c.Title, c.GivenName, c.MiddleName, c.Surname, c.Generation} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, " ")
	}
	candidates := []string{c.NickName, c.CompanyName}
	for _, e := range c.EmailAddresses {
		candidates = append(candidates, e.Address)
	}
	candidates = append(candidates, c.MobilePhone)
	candidates = append(candidates, c.BusinessPhones...)
	candidates = append(candidates, c.HomePhones...)
	for _, s := range candidates {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// meaningfulName reports whether the name Graph has for an e-mail address
// says more than Outlook makes up on its own: not empty, not the address,
// not the contact's name, nor "Name (address)", Outlook's default "Display
// as".
func meaningfulName(c *Contact, e EmailAddress) bool {
	n := strings.TrimSpace(e.Name)
	if n == "" || strings.EqualFold(n, strings.TrimSpace(e.Address)) {
		return false
	}
	for _, shown := range []string{c.DisplayName, fallbackName(c)} {
		shown = strings.TrimSpace(shown)
		if shown != "" && (strings.EqualFold(n, shown) || strings.EqualFold(n, shown+" ("+strings.TrimSpace(e.Address)+")")) {
			return false
		}
	}
	return true
}

// nicknames splits Graph's one nickName at commas into NICKNAME items.
func nicknames(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// birthdayText is the BDAY value (YYYYMMDD) of Graph's birthday, a
// DateTimeOffset in UTC, or "" when it is none. The date is that of the
// nearest midnight in UTC: Outlook stores a birthday as the start of the
// day in the user's time zone, so that 23:00Z is the next day for a user
// east of Greenwich, and a time before noon the same day.
func birthdayText(s string) string {
	if s == "" {
		return ""
	}
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return ""
	}
	t = t.UTC()
	if r := t.Add(12 * time.Hour); r.Year() <= 9999 {
		t = r
	}
	if t.Year() < 1 {
		return ""
	}
	return t.Format("20060102")
}

// ---------------------------------------------------------------------------
// Card → contact

// fromCard converts card to the Contact to send in a POST or PATCH body
// (writeBody), and returns its photo as JPEG bytes to upload, or nil when
// the card has none Outlook can store. Of each property it reads the first
// values in card order, as many as capabilities names (what Project
// keeps), and puts them in Outlook's slots as the top of this file says;
// what does not fit is not written. displayName is FN or, without one, the
// name Outlook would show (fallbackName); it is empty only for a card that
// names nothing at all (writeBody sends it all the same).
func fromCard(card *mapping.Card) (c *Contact, photo []byte) {
	c = &Contact{}
	var (
		emails, tels, adrs, ims []*mapping.Property
		seen                    = map[string]int{}
		seenCategory            = map[string]bool{}
	)
	for i := range card.Props {
		p := &card.Props[i]
		name := strings.ToUpper(p.Name)
		limit, stored := storedProperties[name]
		if !stored {
			continue
		}
		seen[name]++
		if limit > 0 && seen[name] > limit {
			continue
		}
		switch name {
		case "FN":
			c.DisplayName = p.Text()
		case "N":
			n := append(p.Components(), "", "", "", "", "")
			c.Surname, c.GivenName, c.MiddleName, c.Title, c.Generation = n[0], n[1], n[2], n[3], n[4]
		case "NICKNAME":
			c.NickName = strings.Join(nicknames(strings.Join(p.List(), ",")), ", ")
		case propInitials:
			c.Initials = p.Text()
		case propPhoneticGiven:
			c.YomiGivenName = p.Text()
		case propPhoneticFamily:
			c.YomiSurname = p.Text()
		case propPhoneticOrg:
			c.YomiCompanyName = p.Text()
		case propFileAs:
			c.FileAs = p.Text()
		case "EMAIL":
			if p.Text() != "" {
				emails = append(emails, p)
			}
		case "TEL":
			if telNumber(p) != "" {
				tels = append(tels, p)
			}
		case "ADR":
			adrs = append(adrs, p)
		case "ORG":
			comps := p.Components()
			for len(comps) > 0 && comps[len(comps)-1] == "" {
				comps = comps[:len(comps)-1]
			}
			if len(comps) > 0 {
				c.CompanyName, c.Department = comps[0], strings.Join(comps[1:], ";")
			}
		case "TITLE":
			c.JobTitle = p.Text()
		case "ROLE":
			c.Profession = p.Text()
		case propManager:
			c.Manager = p.Text()
		case propAssistant:
			c.AssistantName = p.Text()
		case "RELATED":
			v := p.Text()
			switch {
			case v == "" || isURI(p):
			case p.HasType("spouse"):
				if c.SpouseName == "" {
					c.SpouseName = v
				}
			case p.HasType("child"):
				c.Children = append(c.Children, v)
			}
		case "BDAY":
			c.Birthday = birthdayOf(p)
		case "URL":
			c.BusinessHomePage = p.Text()
		case "IMPP":
			if p.Text() != "" {
				ims = append(ims, p)
			}
		case "NOTE":
			c.PersonalNotes = p.Text()
		case "CATEGORIES":
			// Outlook's categories are a set of names, matched without
			// regard to case.
			for _, v := range p.List() {
				if k := strings.ToLower(v); v != "" && !seenCategory[k] {
					seenCategory[k] = true
					c.Categories = append(c.Categories, v)
				}
			}
		case "PHOTO":
			photo = photoOf(p)
		}
	}
	for _, p := range byPref(emails) {
		c.EmailAddresses = append(c.EmailAddresses, EmailAddress{Name: p.Param(paramEmailName), Address: p.Text()})
	}
	for _, p := range byPref(ims) {
		c.IMAddresses = append(c.IMAddresses, p.Text())
	}
	putPhones(c, byPref(tels))
	putAddresses(c, adrs)
	if strings.TrimSpace(c.DisplayName) == "" {
		if n := fallbackName(c); n != "" {
			c.DisplayName = n
		}
	}
	return c, photo
}

// byPref returns ps with the preferred first: lowest PREF (1–100) first,
// then those without PREF, each in card order. Outlook's first slot of a
// kind (Email1, the first business phone) is its primary one.
func byPref(ps []*mapping.Property) []*mapping.Property {
	rank := func(p *mapping.Property) int {
		if n, err := strconv.Atoi(p.Param("PREF")); err == nil && n >= 1 && n <= 100 {
			return n
		}
		return 101
	}
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b *mapping.Property) int { return rank(a) - rank(b) })
	return out
}

// A phoneKind is what a TEL's types say about its slot.
type phoneKind int

const (
	phoneNone     phoneKind = iota // no field in Graph v1.0: fax, pager …
	phoneGeneric                   // any free slot
	phoneMobile                    // mobilePhone
	phoneBusiness                  // businessPhones
	phoneHome                      // homePhones
)

// phoneKindOf classifies a TEL by its types.
func phoneKindOf(p *mapping.Property) phoneKind {
	switch {
	case p.HasType("fax") || p.HasType("pager") || p.HasType("modem") || p.HasType("bbs"):
		return phoneNone
	case p.HasType("cell") || p.HasType("iphone") || p.HasType("mobile"):
		return phoneMobile
	case p.HasType("work"):
		return phoneBusiness
	case p.HasType("home"):
		return phoneHome
	}
	return phoneGeneric
}

// putPhones fills the phone slots of c from tels (preferred first): typed
// numbers to their slots, then the others to the first free slot of home,
// business and mobile.
func putPhones(c *Contact, tels []*mapping.Property) {
	var generic []string
	for _, p := range tels {
		v := telNumber(p)
		switch phoneKindOf(p) {
		case phoneMobile:
			if c.MobilePhone == "" {
				c.MobilePhone = v
			}
		case phoneBusiness:
			if len(c.BusinessPhones) < businessSlots {
				c.BusinessPhones = append(c.BusinessPhones, v)
			}
		case phoneHome:
			if len(c.HomePhones) < homeSlots {
				c.HomePhones = append(c.HomePhones, v)
			}
		case phoneGeneric:
			generic = append(generic, v)
		}
	}
	for _, v := range generic {
		switch {
		case len(c.HomePhones) < homeSlots:
			c.HomePhones = append(c.HomePhones, v)
		case len(c.BusinessPhones) < businessSlots:
			c.BusinessPhones = append(c.BusinessPhones, v)
		case c.MobilePhone == "":
			c.MobilePhone = v
		}
	}
}

// telNumber returns a phone number's text, without the tel: of a vCard 4.0
// URI value: Outlook would show it as part of the number.
func telNumber(p *mapping.Property) string {
	v := p.Text()
	if len(v) > 4 && strings.EqualFold(v[:4], "tel:") {
		return v[4:]
	}
	return v
}

// putAddresses fills the three address slots of c from adrs, in card
// order: each address to the slot of its type first, then home and work
// addresses whose slot was taken to otherAddress if it is still free. An
// address with nothing a slot stores takes none.
func putAddresses(c *Contact, adrs []*mapping.Property) {
	type slot struct {
		addr   *PhysicalAddress
		filled bool
	}
	slots := map[string]*slot{
		"home": {addr: &c.HomeAddress}, "work": {addr: &c.BusinessAddress}, "other": {addr: &c.OtherAddress},
	}
	var waiting []PhysicalAddress
	for _, p := range adrs {
		n := append(p.Components(), "", "", "", "", "", "", "")
		a := PhysicalAddress{Street: n[2], City: n[3], State: n[4], PostalCode: n[5], CountryOrRegion: n[6]}
		kind := "other"
		switch {
		case p.HasType("work"):
			kind = "work"
		case p.HasType("home"):
			kind = "home"
		}
		office := ""
		if kind == "work" {
			office = n[1]
		}
		if a == (PhysicalAddress{}) && office == "" {
			continue
		}
		if s := slots[kind]; !s.filled {
			s.filled, *s.addr = true, a
			if kind == "work" {
				c.OfficeLocation = office
			}
			continue
		}
		if kind != "other" && a != (PhysicalAddress{}) {
			waiting = append(waiting, a)
		}
	}
	if s := slots["other"]; !s.filled && len(waiting) > 0 {
		s.filled, *s.addr = true, waiting[0]
	}
}

// uriSchemes are the schemes a RELATED value is taken as a reference to
// another contact for, rather than as a name Outlook could hold.
var uriSchemes = map[string]bool{
	"urn": true, "uuid": true, "mailto": true, "http": true, "https": true, "tel": true,
	"sip": true, "sips": true, "xmpp": true, "ldap": true, "cid": true, "data": true,
}

// isURI reports whether a RELATED value is a URI (a reference to another
// card) rather than text: VALUE=text says text, else a known scheme says
// URI.
func isURI(p *mapping.Property) bool {
	if strings.EqualFold(p.Param("VALUE"), "text") {
		return false
	}
	scheme, _, ok := strings.Cut(p.Text(), ":")
	return ok && uriSchemes[strings.ToLower(scheme)]
}

// birthdayOf reads BDAY into Graph's birthday ("1974-07-22T00:00:00Z"), or
// "" when it has no full date: Outlook has no year-less birthdays, and a
// time of day has no place (it is dropped).
func birthdayOf(p *mapping.Property) string {
	if strings.EqualFold(p.Param("VALUE"), "text") {
		return ""
	}
	v := p.Text()
	if i := strings.IndexAny(v, "Tt"); i >= 0 {
		v = v[:i]
	}
	for _, layout := range []string{"20060102", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil && t.Year() >= 1 {
			return t.Format("2006-01-02") + "T00:00:00Z"
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Request bodies

// writeBody returns the JSON object to send as the body of a POST or PATCH
// of c: every writable property of the contact resource (reference §2),
// so that a PATCH clears what the card no longer has — an empty string, an
// empty array, an address whose five members are empty, and null for a
// birthday (an empty string is no DateTimeOffset). displayName is always
// there, so that Graph does not generate another one (reference §1).
// Read-only properties and singleValueExtendedProperties (the connector
// adds the record key on creates) are not.
func writeBody(c *Contact) map[string]any {
	var birthday any
	if c.Birthday != "" {
		birthday = c.Birthday
	}
	emails := make([]EmailAddress, 0, len(c.EmailAddresses))
	emails = append(emails, c.EmailAddresses...)
	return map[string]any{
		"categories":       strings0(c.Categories),
		"birthday":         birthday,
		"fileAs":           c.FileAs,
		"displayName":      c.DisplayName,
		"givenName":        c.GivenName,
		"initials":         c.Initials,
		"middleName":       c.MiddleName,
		"nickName":         c.NickName,
		"surname":          c.Surname,
		"title":            c.Title,
		"yomiGivenName":    c.YomiGivenName,
		"yomiSurname":      c.YomiSurname,
		"yomiCompanyName":  c.YomiCompanyName,
		"generation":       c.Generation,
		"imAddresses":      strings0(c.IMAddresses),
		"jobTitle":         c.JobTitle,
		"companyName":      c.CompanyName,
		"department":       c.Department,
		"officeLocation":   c.OfficeLocation,
		"profession":       c.Profession,
		"businessHomePage": c.BusinessHomePage,
		"assistantName":    c.AssistantName,
		"manager":          c.Manager,
		"homePhones":       strings0(c.HomePhones),
		"mobilePhone":      c.MobilePhone,
		"businessPhones":   strings0(c.BusinessPhones),
		"spouseName":       c.SpouseName,
		"personalNotes":    c.PersonalNotes,
		"children":         strings0(c.Children),
		"emailAddresses":   emails,
		"homeAddress":      addressBody(c.HomeAddress),
		"businessAddress":  addressBody(c.BusinessAddress),
		"otherAddress":     addressBody(c.OtherAddress),
	}
}

// strings0 returns s, or an empty (not nil) slice, which marshals as [].
func strings0(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// addressBody is a physicalAddress with every member present, so that a
// PATCH replaces each of them whatever Graph does with members left out.
func addressBody(a PhysicalAddress) map[string]string {
	return map[string]string{
		"street": a.Street, "city": a.City, "state": a.State,
		"postalCode": a.PostalCode, "countryOrRegion": a.CountryOrRegion,
	}
}

// ---------------------------------------------------------------------------
// Photos

// maxPhotoPixels bounds the images photoOf decodes (16 megapixels, some
// 64 MB each for the decoded and the flattened image), so that a small
// PNG that claims to be huge cannot exhaust memory.
const maxPhotoPixels = 16 << 20

// photoJPEGQuality is the quality PNG and GIF photos are re-encoded with.
const photoJPEGQuality = 90

// setPhoto replaces card's PHOTO by data, inline as a data: URI, the way
// the hub holds embedded photos (vCard 4.0). The media type is the one the
// bytes show (image/jpeg for what Graph stores). Without data it removes
// PHOTO.
func setPhoto(card *mapping.Card, data []byte) {
	card.Remove("PHOTO")
	if len(data) == 0 {
		return
	}
	mediaType := http.DetectContentType(data)
	if !strings.HasPrefix(mediaType, "image/") {
		mediaType = "image/jpeg"
	}
	card.Add(mapping.Property{Name: "PHOTO",
		Value: "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(data)})
}

// photoOf returns the JPEG bytes to store for a PHOTO, or nil when Outlook
// cannot hold it: a photo by URI (Graph takes bytes only), data that is no
// JPEG, PNG or GIF image, or one past Graph's 4 MB. A PNG or GIF is
// re-encoded as JPEG (Graph stores JPEG only), over white where it is
// transparent; the same image always gives the same bytes. A JPEG is kept
// byte for byte.
func photoOf(p *mapping.Property) []byte {
	rest, ok := cutPrefixFold(strings.TrimSpace(p.Text()), "data:")
	meta, payload, found := strings.Cut(rest, ",")
	if !ok || !found || !strings.HasSuffix(strings.ToLower(meta), ";base64") {
		return nil
	}
	payload = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, payload)
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(payload, "=")); err != nil {
			return nil
		}
	}
	out := asJPEG(data)
	if len(out) > maxPhotoBytes {
		return nil
	}
	return out
}

// asJPEG returns data as JPEG bytes, or nil when it is no JPEG, PNG or GIF
// image.
func asJPEG(data []byte) []byte {
	var (
		decode       func(*bytes.Reader) (image.Image, error)
		decodeConfig func(*bytes.Reader) (image.Config, error)
	)
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil {
			return nil
		}
		return data
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		decode = func(r *bytes.Reader) (image.Image, error) { return png.Decode(r) }
		decodeConfig = func(r *bytes.Reader) (image.Config, error) { return png.DecodeConfig(r) }
	case bytes.HasPrefix(data, []byte("GIF87a")) || bytes.HasPrefix(data, []byte("GIF89a")):
		decode = func(r *bytes.Reader) (image.Image, error) { return gif.Decode(r) }
		decodeConfig = func(r *bytes.Reader) (image.Config, error) { return gif.DecodeConfig(r) }
	default:
		return nil
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPhotoPixels {
		return nil
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	b := img.Bounds()
	flat := image.NewRGBA(b)
	draw.Draw(flat, b, image.White, image.Point{}, draw.Src)
	draw.Draw(flat, b, img, b.Min, draw.Over)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, flat, &jpeg.Options{Quality: photoJPEGQuality}); err != nil {
		return nil
	}
	return buf.Bytes()
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
