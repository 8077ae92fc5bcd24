package google

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// This file converts between a People API Person and a vCard
// (mapping.Card), both ways, with no I/O. The rules follow the Person ⇄
// vCard table of the project's Google People API reference (§6):
//
//   - Standard fields go to standard properties: names → FN and N,
//     nicknames → NICKNAME, emailAddresses → EMAIL, phoneNumbers → TEL,
//     addresses → ADR, organizations → ORG, TITLE and ROLE, birthdays → BDAY,
//     the first anniversary event → ANNIVERSARY, urls → URL, biographies →
//     NOTE, relations → RELATED, imClients and sipAddresses → IMPP, genders →
//     GENDER and PRONOUNS (RFC 9554), calendarUrls → CALURI and FBURL,
//     locales → LANG, interests → INTEREST, photos → PHOTO, contact-group
//     memberships → CATEGORIES.
//   - A type with a vCard TYPE becomes that TYPE (mobile → cell, homeFax →
//     home,fax …); any other type — main, googleVoice, blog, a custom label
//     the user typed — becomes an X-ABLABEL in the property's group, the
//     convention of Apple and of Google's own CardDAV export. The primary
//     item of a field is PREF=1, unless it is the first (prefIndex).
//   - What vCard has no property for goes to X- properties and parameters
//     that only this connector reads, so that a Person read, turned into a
//     card, and written back loses nothing: phonetic names, other events
//     (X-ABDATE, as Google's export writes them), userDefined, externalIds,
//     occupations, locations, miscKeywords, the starred group, and the
//     sub-fields of a field vCard has no room for (X-GOOGLE-… parameters).
//   - clientData holds the card's UID and the bridge's record key; the key
//     is not part of the card (recordKey, setRecordKey).
//
// Not mapped: skills (readable, but not a valid updatePersonFields value, so
// a change from the hub could never be written back), fileAses (neither
// readable nor writable in the API), ageRanges and coverPhotos (output
// only), and items another source (a Google profile) contributes.
//
// A card Google can hold comes back from a trip through Google (keep) with
// the same canonical hash, except where Google has no room for a detail,
// and then the value itself is kept:
//
//   - TYPE values Google has no type for go when the rest names one (TEL
//     voice, msg, text, video; ADR postal, parcel); a TYPE beside a label
//     goes (the label is the type);
//   - PREF=1 marks one item of a field (the lowest PREF wins), and not the
//     first, which Google makes primary by itself;
//   - a formatted address beside components (ADR's LABEL) goes: Google
//     builds it from them;
//   - N and ADR components are plain text in Google: a comma that separated
//     list items comes back escaped, components past the fifth (seventh) go;
//   - dates lose their time; ANNIVERSARY is written YYYYMMDD;
//   - a tel: URI becomes the number; IMPP service names are written as
//     Apple does (X-SERVICE-TYPE) only where the scheme does not say them;
//   - empty values, empty N and trailing empty ORG components go; a card
//     with N and no FN gains the FN Google displays;
//   - a group whose other members Google does not store (item1.ADR beside
//     item1.X-ABADR) comes back ungrouped, and an X-ABLABEL with no stored
//     partner goes: connectors.Capabilities cannot say "X-ABLABEL only with
//     a stored property".

// Keys of the bridge's own clientData entries.
const (
	// clientKeyRecord holds the hub record id a contact was created for
	// (connectors.Item.Key), so that a create retried after a crash finds
	// the contact the first attempt made.
	clientKeyRecord = "contactbridge.record"
	// clientKeyUID holds the card's UID: Google has no UID field, and the
	// bridge matches unlinked contacts by UID first.
	clientKeyUID = "contactbridge.uid"
)

// Resource names of the system groups the mapping treats specially.
const (
	groupMyContacts = "contactGroups/myContacts"
	groupStarred    = "contactGroups/starred"
)

// systemGroups are the resource names of Google's system contact groups.
// Only myContacts and starred accept new members; the others are
// deprecated and only allow removal, so a card never adds them and the
// connector keeps them as they are (carryOver).
var systemGroups = map[string]bool{
	groupMyContacts:             true,
	groupStarred:                true,
	"contactGroups/friends":     true,
	"contactGroups/family":      true,
	"contactGroups/coworkers":   true,
	"contactGroups/chatBuddies": true,
	"contactGroups/all":         true,
	"contactGroups/blocked":     true,
}

// errUnknownGroup means a person is a member of a contact group the group
// list given to toCard does not hold: the connector lists the groups again
// and retries.
var errUnknownGroup = errors.New("contact group not in the group list")

// Properties this connector invents for Google fields vCard has no
// property for. They mean nothing to other clients, which keep them.
const (
	propStarred      = "X-GOOGLE-STARRED"      // member of contactGroups/starred: "TRUE"
	propUserDefined  = "X-GOOGLE-USER-DEFINED" // a custom field; its key is the X-ABLABEL
	propExternalID   = "X-GOOGLE-EXTERNAL-ID"
	propOccupation   = "X-GOOGLE-OCCUPATION"
	propLocation     = "X-GOOGLE-LOCATION"
	propKeyword      = "X-GOOGLE-KEYWORD"
	propPhoneticFull = "X-GOOGLE-PHONETIC-FULL-NAME"
	propPhoneticPre  = "X-GOOGLE-PHONETIC-PREFIX"
	propPhoneticSuf  = "X-GOOGLE-PHONETIC-SUFFIX"
	propLabel        = "X-ABLABEL"
	propDate         = "X-ABDATE"
)

// Parameters for sub-fields vCard has no place for.
const (
	paramType         = "X-GOOGLE-TYPE" // an enum type (nicknames, miscKeywords) or a type of an X-GOOGLE property
	paramDisplayName  = "X-GOOGLE-DISPLAY-NAME"
	paramContentType  = "X-GOOGLE-CONTENT-TYPE"
	paramSymbol       = "X-GOOGLE-SYMBOL"
	paramDomain       = "X-GOOGLE-DOMAIN"
	paramLocation     = "X-GOOGLE-LOCATION"
	paramPhoneticName = "X-GOOGLE-PHONETIC-NAME"
	paramCostCenter   = "X-GOOGLE-COST-CENTER"
	paramFTE          = "X-GOOGLE-FTE-MILLIPERCENT"
	paramStart        = "X-GOOGLE-START"
	paramEnd          = "X-GOOGLE-END"
	paramCurrent      = "X-GOOGLE-CURRENT"
	paramBuilding     = "X-GOOGLE-BUILDING-ID"
	paramFloor        = "X-GOOGLE-FLOOR"
	paramFloorSection = "X-GOOGLE-FLOOR-SECTION"
	paramDesk         = "X-GOOGLE-DESK-CODE"
	paramServiceType  = "X-SERVICE-TYPE" // Apple's name of an IMPP service
)

// storedProperties maps every property toCard writes to the most values of
// it Google keeps (0: any number). Single values follow the People API's
// singleton fields (names, birthdays, biographies, genders), one user photo
// and vCard's own cardinality (ANNIVERSARY, UID).
var storedProperties = map[string]int{
	"FN": 1, "N": 1,
	"X-PHONETIC-FIRST-NAME": 1, "X-PHONETIC-MIDDLE-NAME": 1, "X-PHONETIC-LAST-NAME": 1,
	propPhoneticFull: 1, propPhoneticPre: 1, propPhoneticSuf: 1,
	"NICKNAME": 0, "EMAIL": 0, "TEL": 0, "ADR": 0,
	"ORG": 0, "TITLE": 0, "ROLE": 0,
	"BDAY": 1, "ANNIVERSARY": 1, propDate: 0,
	"URL": 0, "NOTE": 1, "RELATED": 0, "IMPP": 0,
	propUserDefined: 0, propExternalID: 0,
	"GENDER": 1, "PRONOUNS": 1,
	"CALURI": 0, "FBURL": 0, "LANG": 0, "INTEREST": 0,
	propOccupation: 0, propLocation: 0, propKeyword: 0,
	"PHOTO": 1, "CATEGORIES": 0, propStarred: 1,
	"UID": 1, "REV": 1,
	propLabel: 0,
}

// capabilities reports what Google stores, so that the bridge keeps the
// rest in the hub (connectors.Capabilities.Project). Properties lists
// exactly what toCard can produce: a property toCard writes but this map
// lacked would be both kept from the hub and read from Google. Google takes
// at most 200 contacts per batch and wants one writer per user.
func capabilities() connectors.Capabilities {
	return connectors.Capabilities{
		Properties:  maps.Clone(storedProperties),
		Version:     mapping.Version40,
		BatchSize:   200,
		Concurrency: 1,
	}
}

// keep returns what Google gives back of c once the connector has written
// it: c projected by capabilities, then through fromCard and toCard with a
// group for every category. It is finer than Capabilities.Project, which
// works on whole properties: it also drops what the mapping normalises
// (TYPE values Google has no room for, groups without a stored partner,
// orphan labels, empty values …), so it is the Project hook a conformance
// test of this connector needs. A photo that is not an inline JPEG or PNG
// goes too. keep(keep(c)) equals keep(c).
func keep(c *mapping.Card) *mapping.Card {
	p, newGroups := fromCard(capabilities().Project(c), nil)
	ids, names := map[string]string{}, map[string]string{}
	for i, name := range newGroups {
		id := "contactGroups/keep" + strconv.Itoa(i)
		ids[name], names[id] = id, name
	}
	if len(ids) > 0 {
		p, _ = fromCard(capabilities().Project(c), ids)
	}
	uploadable(p)
	out, err := toCard(p, names)
	if err != nil {
		panic(err) // cannot happen: every group is in names
	}
	if data, ok, err := photoBytes(p); ok && err == nil {
		setPhoto(out, photoType(data), data) // the bytes come back with their own type
	}
	return out
}

// uploadable drops the photo fromCard put in p when updateContactPhoto
// cannot take it (photoBytes): Google keeps only JPEG and PNG.
func uploadable(p *Person) {
	if _, ok, err := photoBytes(p); ok && err != nil {
		p.Photos = nil
	}
}

// ---------------------------------------------------------------------------
// Types and labels

// A typeCodec converts one field's type between Google's string and vCard's
// TYPE values and X-ABLABEL.
type typeCodec struct {
	// known maps the Google types vCard has TYPE values for to those
	// values, sorted.
	known map[string][]string
	// hints maps the Google types that are always written as labels
	// (vCard has no TYPE for them) to the TYPE values that come nearest,
	// if any (mother → parent), for clients that ignore labels.
	hints map[string][]string
	// noise are TYPE values Google has no room for, dropped when what is
	// left names a Google type (ADR postal, TEL voice).
	noise []string
	// blank are TYPE values that alone say nothing (TEL voice, the default).
	blank []string
}

// vcardTypes are the TYPE values of vCard 2.1, 3.0, 4.0 and RFC 6350's
// RELATED that a custom Google type made only of them (comma-separated,
// sorted) is written back as, rather than as a label. pref and internet
// are missing: normalisation turns them into PREF or drops them.
var vcardTypes = map[string]bool{
	"home": true, "work": true, "other": true, "voice": true, "fax": true, "cell": true,
	"video": true, "pager": true, "textphone": true, "text": true, "msg": true, "bbs": true,
	"modem": true, "car": true, "isdn": true, "pcs": true, "main": true, "iphone": true,
	"x400": true, "dom": true, "intl": true, "postal": true, "parcel": true,
	"personal": true, "business": true, "mobile": true,
	"contact": true, "acquaintance": true, "friend": true, "met": true, "co-worker": true,
	"colleague": true, "co-resident": true, "neighbor": true, "child": true, "parent": true,
	"sibling": true, "spouse": true, "kin": true, "muse": true, "crush": true, "date": true,
	"sweetheart": true, "me": true, "agent": true, "emergency": true,
}

var (
	emailTypes = typeCodec{known: map[string][]string{
		"home": {"home"}, "work": {"work"}, "other": {"other"},
	}}
	// phone types per the reference: mobile → cell, homeFax → home,fax,
	// workMobile → work,cell; main and googleVoice have no TYPE and
	// become labels.
	telTypes = typeCodec{
		known: map[string][]string{
			"home": {"home"}, "work": {"work"}, "mobile": {"cell"},
			"homeFax": {"fax", "home"}, "workFax": {"fax", "work"}, "otherFax": {"fax"},
			"pager": {"pager"}, "workMobile": {"cell", "work"}, "workPager": {"pager", "work"},
			"other": {"other"},
		},
		hints: map[string][]string{"main": nil, "googleVoice": nil},
		noise: []string{"iphone", "msg", "text", "video", "voice"},
		blank: []string{"voice"},
	}
	adrTypes = typeCodec{
		known: map[string][]string{"home": {"home"}, "work": {"work"}, "other": {"other"}},
		noise: []string{"dom", "intl", "parcel", "postal"},
	}
	urlTypes = typeCodec{
		known: map[string][]string{"home": {"home"}, "work": {"work"}, "other": {"other"}},
		hints: map[string][]string{
			"blog": nil, "profile": nil, "homePage": nil, "ftp": nil,
			"reservations": nil, "appInstallPage": nil,
		},
	}
	imTypes = typeCodec{known: map[string][]string{
		"home": {"home"}, "work": {"work"}, "other": {"other"},
	}}
	sipTypes = typeCodec{known: map[string][]string{
		"home": {"home"}, "work": {"work"}, "mobile": {"cell"}, "other": {"other"},
	}}
	calTypes = typeCodec{known: map[string][]string{"home": {"home"}, "work": {"work"}}}
	orgTypes = typeCodec{known: map[string][]string{"work": {"work"}}}
	// relation types: RFC 6350 has spouse, child, parent, friend and kin;
	// the rest are labels, with the RFC type that comes nearest as a hint.
	relTypes = typeCodec{
		known: map[string][]string{
			"spouse": {"spouse"}, "child": {"child"}, "parent": {"parent"},
			"friend": {"friend"}, "relative": {"kin"},
		},
		hints: map[string][]string{
			"mother": {"parent"}, "father": {"parent"},
			"brother": {"sibling"}, "sister": {"sibling"},
			"manager": {"co-worker"}, "assistant": {"co-worker"},
			"domesticPartner": nil, "partner": nil, "referredBy": nil,
		},
	}
	// labelOnly writes every type as a label (events, custom fields).
	labelOnly = typeCodec{}
)

// encode returns the TYPE values and the label that stand for Google type t.
func (tc *typeCodec) encode(t string) (types []string, label string) {
	if t == "" {
		return nil, ""
	}
	if v, ok := tc.known[t]; ok {
		return v, ""
	}
	if v, ok := tc.hints[t]; ok {
		return v, t
	}
	if tc.known == nil { // label-only codec
		return nil, t
	}
	if tokens, ok := typeTokens(t); ok {
		return tokens, ""
	}
	return nil, t
}

// decode returns the Google type for a property's TYPE values (lower case,
// sorted, as Types returns them) and its group's label.
func (tc *typeCodec) decode(types []string, label string) string {
	if label != "" {
		return label
	}
	types = slices.DeleteFunc(slices.Clone(types), func(s string) bool { return s == "pref" })
	if len(types) == 0 {
		return ""
	}
	if t, ok := tc.lookup(types); ok {
		return t
	}
	if rest := without(types, tc.noise); len(rest) > 0 && len(rest) < len(types) {
		if t, ok := tc.lookup(rest); ok {
			return t
		}
	}
	if len(tc.blank) > 0 && len(without(types, tc.blank)) == 0 {
		return ""
	}
	return strings.Join(types, ",")
}

func (tc *typeCodec) lookup(types []string) (string, bool) {
	for t, v := range tc.known {
		if slices.Equal(v, types) {
			return t, true
		}
	}
	return "", false
}

func without(s, drop []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

// typeTokens splits a custom Google type that reads as vCard TYPE values:
// known values or x-names, lower case, sorted, comma-separated.
func typeTokens(t string) ([]string, bool) {
	parts := strings.Split(t, ",")
	for i, s := range parts {
		if !vcardTypes[s] && !isXName(s) {
			return nil, false
		}
		if i > 0 && parts[i-1] >= s {
			return nil, false
		}
	}
	return parts, true
}

func isXName(s string) bool {
	if len(s) < 3 || !strings.HasPrefix(s, "x-") {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Person → card

// toCard converts p to a vCard. groups maps contact-group resource names to
// group names; system groups need not be in it. A membership of a user
// group groups lacks is an error wrapping errUnknownGroup (list the groups
// again). Google's generated avatar is ignored; a user photo comes out as
// PHOTO holding its Google URL (photoURL), which the connector replaces by
// the fetched bytes (setPhoto). The bridge's record key is not part of the
// card: read it with recordKey.
func toCard(p *Person, groups map[string]string) (*mapping.Card, error) {
	if p == nil {
		return nil, errors.New("google: no person")
	}
	if p.Metadata != nil && p.Metadata.Deleted {
		return nil, fmt.Errorf("google: person %s is deleted", p.ResourceName)
	}
	b := &cardBuilder{card: &mapping.Card{}}
	b.names(p.Names)
	b.nicknames(p.Nicknames)
	b.emails(p.EmailAddresses)
	b.phones(p.PhoneNumbers)
	b.addresses(p.Addresses)
	b.organizations(p.Organizations)
	b.birthday(p.Birthdays)
	b.events(p.Events)
	b.urls(p.URLs)
	b.biography(p.Biographies)
	b.relations(p.Relations)
	b.ims(p.IMClients)
	b.sips(p.SIPAddresses)
	b.userDefined(p.UserDefined)
	b.externalIDs(p.ExternalIDs)
	b.gender(p.Genders)
	b.calendars(p.CalendarURLs)
	b.locales(p.Locales)
	b.interests(p.Interests)
	b.occupations(p.Occupations)
	b.locations(p.Locations)
	b.keywords(p.MiscKeywords)
	if u := photoURL(p); u != "" {
		b.text("PHOTO", u)
	}
	if err := b.memberships(p.Memberships, groups); err != nil {
		return nil, fmt.Errorf("google: person %s: %w", p.ResourceName, err)
	}
	for _, d := range p.ClientData {
		if fromContact(d.Metadata) && d.Key == clientKeyUID && d.Value != "" {
			b.text("UID", d.Value)
			break
		}
	}
	if rev := revision(p.Metadata); rev != "" {
		b.text("REV", rev)
	}
	return b.card, nil
}

// cardBuilder collects the properties of the card toCard makes.
type cardBuilder struct {
	card   *mapping.Card
	groups int
}

// add appends p, normalised.
func (b *cardBuilder) add(p mapping.Property) { b.card.Add(p) }

// text adds a property holding the text v, unless v is empty.
func (b *cardBuilder) text(name, v string) {
	if v == "" {
		return
	}
	p := mapping.Property{Name: name}
	p.SetText(v)
	b.add(p)
}

// item adds the properties of one Google item. A label goes into an
// X-ABLABEL beside them, which needs a group; so do several properties
// that belong together (grouped).
func (b *cardBuilder) item(label string, grouped bool, props ...mapping.Property) {
	if label != "" {
		l := mapping.Property{Name: propLabel}
		l.SetText(label)
		props = append(props, l)
	}
	if label != "" || grouped {
		b.groups++
		g := "item" + strconv.Itoa(b.groups)
		for i := range props {
			props[i].Group = g
		}
	}
	for _, p := range props {
		b.add(p)
	}
}

// newProp starts a property with its TYPE and PREF parameters.
func newProp(name string, types []string, primary bool) mapping.Property {
	p := mapping.Property{Name: name}
	if len(types) > 0 {
		p.SetParam("TYPE", types...)
	}
	if primary {
		p.SetParam("PREF", "1")
	}
	return p
}

// setParam sets the parameter name to v unless v is empty.
func setParam(p *mapping.Property, name, v string) {
	if v != "" {
		p.SetParam(name, v)
	}
}

func (b *cardBuilder) names(names []Name) {
	for _, n := range names {
		if !fromContact(n.Metadata) {
			continue
		}
		structured := n.FamilyName != "" || n.GivenName != "" || n.MiddleName != "" ||
			n.HonorificPrefix != "" || n.HonorificSuffix != ""
		fn := n.UnstructuredName
		if fn == "" {
			fn = n.DisplayName
		}
		if fn == "" && structured {
			fn = joinNonEmpty(" ", n.HonorificPrefix, n.GivenName, n.MiddleName, n.FamilyName, n.HonorificSuffix)
		}
		b.text("FN", fn)
		if structured {
			p := mapping.Property{Name: "N"}
			p.SetComponents(n.FamilyName, n.GivenName, n.MiddleName, n.HonorificPrefix, n.HonorificSuffix)
			b.add(p)
		}
		b.text("X-PHONETIC-FIRST-NAME", n.PhoneticGivenName)
		b.text("X-PHONETIC-MIDDLE-NAME", n.PhoneticMiddleName)
		b.text("X-PHONETIC-LAST-NAME", n.PhoneticFamilyName)
		b.text(propPhoneticFull, n.PhoneticFullName)
		b.text(propPhoneticPre, n.PhoneticHonorificPrefix)
		b.text(propPhoneticSuf, n.PhoneticHonorificSuffix)
		return // a singleton: one name per contact
	}
}

func joinNonEmpty(sep string, parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), sep)
}

func (b *cardBuilder) nicknames(ns []Nickname) {
	for _, n := range ns {
		if !fromContact(n.Metadata) || n.Value == "" {
			continue
		}
		p := mapping.Property{Name: "NICKNAME"}
		if n.Type != "DEFAULT" {
			setParam(&p, paramType, n.Type)
		}
		p.SetText(n.Value)
		b.add(p)
	}
}

func (b *cardBuilder) emails(es []EmailAddress) {
	es = ownItems(es, func(e EmailAddress) (*FieldMetadata, string) { return e.Metadata, e.Value })
	pref := prefIndex(es, func(x EmailAddress) *FieldMetadata { return x.Metadata })
	for i, e := range es {
		types, label := emailTypes.encode(e.Type)
		p := newProp("EMAIL", types, i == pref)
		setParam(&p, paramDisplayName, e.DisplayName)
		p.SetText(e.Value)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) phones(ts []PhoneNumber) {
	ts = ownItems(ts, func(t PhoneNumber) (*FieldMetadata, string) { return t.Metadata, t.Value })
	pref := prefIndex(ts, func(x PhoneNumber) *FieldMetadata { return x.Metadata })
	for i, t := range ts {
		types, label := telTypes.encode(t.Type)
		p := newProp("TEL", types, i == pref)
		p.SetText(t.Value)
		b.item(label, false, p)
	}
}

// addresses writes the structured fields as ADR. Google fills
// formattedValue from them, so it is left out then; an address that only
// has formattedValue is an ADR with empty components and the text in the
// LABEL parameter (vCard 4.0). countryCode is the CC parameter (RFC 8605).
func (b *cardBuilder) addresses(as []Address) {
	as = ownItems(as, func(a Address) (*FieldMetadata, string) {
		return a.Metadata, a.POBox + a.ExtendedAddress + a.StreetAddress + a.City + a.Region + a.PostalCode +
			a.Country + a.FormattedValue + a.CountryCode
	})
	pref := prefIndex(as, func(x Address) *FieldMetadata { return x.Metadata })
	for i, a := range as {
		structured := a.POBox != "" || a.ExtendedAddress != "" || a.StreetAddress != "" || a.City != "" ||
			a.Region != "" || a.PostalCode != "" || a.Country != ""
		types, label := adrTypes.encode(a.Type)
		p := newProp("ADR", types, i == pref)
		setParam(&p, "CC", a.CountryCode)
		if !structured {
			setParam(&p, "LABEL", a.FormattedValue)
		}
		p.SetComponents(a.POBox, a.ExtendedAddress, a.StreetAddress, a.City, a.Region, a.PostalCode, a.Country)
		b.item(label, false, p)
	}
}

// organizations writes ORG (name;department), TITLE and ROLE
// (jobDescription). One organization's properties stand alone; when there
// are several, each one's properties share a group. Sub-fields vCard has no
// room for are X-GOOGLE-… parameters of ORG.
func (b *cardBuilder) organizations(os []Organization) {
	var orgs []Organization
	for _, o := range os {
		// An organization with nothing but a type says nothing.
		if fromContact(o.Metadata) && o != (Organization{Metadata: o.Metadata, FormattedType: o.FormattedType, Type: o.Type}) {
			orgs = append(orgs, o)
		}
	}
	for _, o := range orgs {
		types, label := orgTypes.encode(o.Type)
		org := newProp("ORG", types, false)
		setParam(&org, paramSymbol, o.Symbol)
		setParam(&org, paramDomain, o.Domain)
		setParam(&org, paramLocation, o.Location)
		setParam(&org, paramPhoneticName, o.PhoneticName)
		setParam(&org, paramCostCenter, o.CostCenter)
		if o.FullTimeEquivalentMillipercent != 0 {
			org.SetParam(paramFTE, strconv.Itoa(o.FullTimeEquivalentMillipercent))
		}
		if d := formatDate(o.StartDate, false); d != "" {
			org.SetParam(paramStart, d)
		}
		if d := formatDate(o.EndDate, false); d != "" {
			org.SetParam(paramEnd, d)
		}
		if o.Current != nil {
			org.SetParam(paramCurrent, strconv.FormatBool(*o.Current))
		}
		var props []mapping.Property
		if o.Name != "" || o.Department != "" || len(org.Params) > 0 {
			comps := []string{o.Name}
			if o.Department != "" {
				comps = append(comps, strings.Split(o.Department, ";")...)
			}
			org.SetComponents(comps...)
			props = append(props, org)
		}
		if o.Title != "" {
			p := mapping.Property{Name: "TITLE"}
			p.SetText(o.Title)
			props = append(props, p)
		}
		if o.JobDescription != "" {
			p := mapping.Property{Name: "ROLE"}
			p.SetText(o.JobDescription)
			props = append(props, p)
		}
		if len(props) > 0 {
			b.item(label, len(orgs) > 1, props...)
		}
	}
}

// birthday writes BDAY: the date as YYYYMMDD, or --MMDD without a year.
// When the text says the same date in another spelling (what fromCard
// keeps of a BDAY written otherwise), that spelling is used; a text that is
// not the date is BDAY;VALUE=text.
func (b *cardBuilder) birthday(bs []Birthday) {
	for _, bd := range bs {
		if !fromContact(bd.Metadata) {
			continue
		}
		v := formatDate(bd.Date, false)
		if v != "" && bd.Text != "" {
			if d, ok := parseDate(bd.Text); ok && d == *bd.Date {
				v = bd.Text
			}
		}
		p := mapping.Property{Name: "BDAY"}
		switch {
		case v != "":
		case bd.Text != "":
			p.SetParam("VALUE", "text")
			v = bd.Text
		default:
			continue
		}
		p.SetText(v)
		b.add(p)
		return
	}
}

// events writes the first anniversary as ANNIVERSARY and every other event
// as X-ABDATE (YYYY-MM-DD) labelled with its type, as Google's CardDAV
// export does.
func (b *cardBuilder) events(es []Event) {
	anniversary := false
	for _, e := range es {
		if !fromContact(e.Metadata) || formatDate(e.Date, false) == "" {
			continue
		}
		if e.Type == "anniversary" && !anniversary {
			anniversary = true
			b.text("ANNIVERSARY", formatDate(e.Date, false))
			continue
		}
		p := mapping.Property{Name: propDate}
		p.SetText(formatDate(e.Date, true))
		_, label := labelOnly.encode(e.Type)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) urls(us []URL) {
	us = ownItems(us, func(u URL) (*FieldMetadata, string) { return u.Metadata, u.Value })
	pref := prefIndex(us, func(x URL) *FieldMetadata { return x.Metadata })
	for i, u := range us {
		types, label := urlTypes.encode(u.Type)
		p := newProp("URL", types, i == pref)
		p.SetText(u.Value)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) biography(bs []Biography) {
	for _, bio := range bs {
		if !fromContact(bio.Metadata) || bio.Value == "" {
			continue
		}
		p := mapping.Property{Name: "NOTE"}
		if ct := bio.ContentType; ct != "" && ct != "TEXT_PLAIN" && ct != "CONTENT_TYPE_UNSPECIFIED" {
			p.SetParam(paramContentType, ct)
		}
		p.SetText(bio.Value)
		b.add(p)
		return
	}
}

// relations writes RELATED;VALUE=text, since Google holds a free-text name;
// a name that is a URI (urn:uuid:…, mailto:…) stays a URI.
func (b *cardBuilder) relations(rs []Relation) {
	for _, r := range rs {
		if !fromContact(r.Metadata) || r.Person == "" {
			continue
		}
		types, label := relTypes.encode(r.Type)
		p := newProp("RELATED", types, false)
		if !isURIValue(r.Person) {
			p.SetParam("VALUE", "text")
		}
		p.SetText(r.Person)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) ims(cs []IMClient) {
	cs = ownItems(cs, func(c IMClient) (*FieldMetadata, string) { return c.Metadata, c.Username })
	pref := prefIndex(cs, func(x IMClient) *FieldMetadata { return x.Metadata })
	for i, c := range cs {
		types, label := imTypes.encode(c.Type)
		p := newProp("IMPP", types, i == pref)
		v, service := imppValue(c.Protocol, c.Username)
		setParam(&p, paramServiceType, service)
		p.SetText(v)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) sips(ss []SIPAddress) {
	ss = ownItems(ss, func(s SIPAddress) (*FieldMetadata, string) { return s.Metadata, s.Value })
	pref := prefIndex(ss, func(x SIPAddress) *FieldMetadata { return x.Metadata })
	for i, s := range ss {
		types, label := sipTypes.encode(s.Type)
		p := newProp("IMPP", types, i == pref)
		v := s.Value
		if scheme, _, ok := splitScheme(v); !ok || (scheme != "sip" && scheme != "sips") {
			v = "sip:" + v
		}
		p.SetText(v)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) userDefined(us []UserDefined) {
	for _, u := range us {
		if !fromContact(u.Metadata) || (u.Key == "" && u.Value == "") {
			continue
		}
		p := mapping.Property{Name: propUserDefined}
		p.SetText(u.Value)
		_, label := labelOnly.encode(u.Key)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) externalIDs(xs []ExternalID) {
	for _, x := range xs {
		if !fromContact(x.Metadata) || x.Value == "" {
			continue
		}
		p := mapping.Property{Name: propExternalID}
		setParam(&p, paramType, x.Type)
		p.SetText(x.Value)
		b.add(p)
	}
}

// gender writes GENDER: male M, female F, unspecified U, anything else
// O;text (or the text itself when it already reads as a GENDER value), and
// addressMeAs as PRONOUNS (RFC 9554).
func (b *cardBuilder) gender(gs []Gender) {
	for _, g := range gs {
		if !fromContact(g.Metadata) {
			continue
		}
		if g.Value != "" {
			p := mapping.Property{Name: "GENDER"}
			p.SetComponents(genderComponents(g.Value)...)
			b.add(p)
		}
		b.text("PRONOUNS", g.AddressMeAs)
		return
	}
}

var genderSex = map[string]string{"male": "M", "female": "F", "unspecified": "U"}

func genderComponents(v string) []string {
	if s, ok := genderSex[v]; ok {
		return []string{s}
	}
	if isSexLetter(v) || strings.Contains(v, ";") {
		return strings.Split(v, ";")
	}
	return []string{"O", v}
}

func isSexLetter(s string) bool {
	switch s {
	case "M", "F", "O", "N", "U":
		return true
	}
	return false
}

func (b *cardBuilder) calendars(cs []CalendarURL) {
	cs = ownItems(cs, func(c CalendarURL) (*FieldMetadata, string) { return c.Metadata, c.URL })
	pref := prefIndex(cs, func(x CalendarURL) *FieldMetadata { return x.Metadata })
	for i, c := range cs {
		if c.Type == "freeBusy" {
			p := newProp("FBURL", nil, i == pref)
			p.SetText(c.URL)
			b.add(p)
			continue
		}
		types, label := calTypes.encode(c.Type)
		p := newProp("CALURI", types, i == pref)
		p.SetText(c.URL)
		b.item(label, false, p)
	}
}

func (b *cardBuilder) locales(ls []Locale) {
	ls = ownItems(ls, func(l Locale) (*FieldMetadata, string) { return l.Metadata, l.Value })
	pref := prefIndex(ls, func(x Locale) *FieldMetadata { return x.Metadata })
	for i, l := range ls {
		p := newProp("LANG", nil, i == pref)
		p.SetText(l.Value)
		b.add(p)
	}
}

func (b *cardBuilder) interests(is []Interest) {
	for _, i := range is {
		if fromContact(i.Metadata) {
			b.text("INTEREST", i.Value)
		}
	}
}

func (b *cardBuilder) occupations(os []Occupation) {
	for _, o := range os {
		if fromContact(o.Metadata) {
			b.text(propOccupation, o.Value)
		}
	}
}

func (b *cardBuilder) locations(ls []Location) {
	for _, l := range ls {
		if !fromContact(l.Metadata) {
			continue
		}
		p := mapping.Property{Name: propLocation}
		setParam(&p, paramType, l.Type)
		setParam(&p, paramBuilding, l.BuildingID)
		setParam(&p, paramFloor, l.Floor)
		setParam(&p, paramFloorSection, l.FloorSection)
		setParam(&p, paramDesk, l.DeskCode)
		if l.Current != nil {
			p.SetParam(paramCurrent, strconv.FormatBool(*l.Current))
		}
		if l.Value == "" && len(p.Params) == 0 {
			continue
		}
		p.SetText(l.Value)
		b.add(p)
	}
}

func (b *cardBuilder) keywords(ks []MiscKeyword) {
	for _, k := range ks {
		if !fromContact(k.Metadata) || k.Value == "" {
			continue
		}
		p := mapping.Property{Name: propKeyword}
		if k.Type != "TYPE_UNSPECIFIED" {
			setParam(&p, paramType, k.Type)
		}
		p.SetText(k.Value)
		b.add(p)
	}
}

// memberships writes user groups as CATEGORIES and starred as
// X-GOOGLE-STARRED:TRUE. myContacts ("is a contact") and the deprecated
// system groups are not categories.
func (b *cardBuilder) memberships(ms []Membership, groups map[string]string) error {
	var names []string
	starred := false
	for _, m := range ms {
		rn := groupOf(m)
		switch {
		case rn == "" || !fromContact(m.Metadata):
		case rn == groupStarred:
			starred = true
		case systemGroups[rn]:
		default:
			name, ok := groups[rn]
			if !ok {
				return fmt.Errorf("membership of %s: %w", rn, errUnknownGroup)
			}
			if name != "" && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if len(names) > 0 {
		p := mapping.Property{Name: "CATEGORIES"}
		p.SetList(names...)
		b.add(p)
	}
	if starred {
		b.text(propStarred, "TRUE")
	}
	return nil
}

// groupOf returns the resource name of a contact-group membership, or "".
func groupOf(m Membership) string {
	g := m.ContactGroupMembership
	switch {
	case g == nil:
		return ""
	case g.ContactGroupResourceName != "":
		return g.ContactGroupResourceName
	case g.ContactGroupID != "":
		return "contactGroups/" + g.ContactGroupID
	}
	return ""
}

// revision returns the CONTACT source's update time as a REV value, or "".
func revision(md *PersonMetadata) string {
	if md == nil {
		return ""
	}
	for _, s := range md.Sources {
		if s.Type != "CONTACT" || s.UpdateTime == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s.UpdateTime)
		if err != nil {
			return ""
		}
		return t.UTC().Format("20060102T150405Z")
	}
	return ""
}

// ownItems returns the items of a field that come from the contact itself
// and have a value.
func ownItems[T any](items []T, of func(T) (*FieldMetadata, string)) []T {
	var out []T
	for _, it := range items {
		if md, v := of(it); fromContact(md) && v != "" {
			out = append(out, it)
		}
	}
	return out
}

// prefIndex returns the index of the item of a field to write as PREF=1:
// the primary one, unless it is the first. Google marks the first item
// primary on its own (a lone one for sure), so a first primary says
// nothing a card without PREF does not; -1 for none.
func prefIndex[T any](items []T, md func(T) *FieldMetadata) int {
	for i, it := range items {
		if isPrimary(md(it)) {
			if i == 0 {
				return -1
			}
			return i
		}
	}
	return -1
}

// isPrimary reports whether an item is its field's primary one.
func isPrimary(md *FieldMetadata) bool {
	return md != nil && (md.Primary || md.SourcePrimary)
}

// fromContact reports whether an item comes from the contact itself, not
// from a Google profile merged into it: only those can be written back.
func fromContact(md *FieldMetadata) bool {
	return md == nil || md.Source == nil || md.Source.Type == "" || md.Source.Type == "CONTACT"
}

// photoURL returns the URL of the contact's own photo, or "" when it has
// only Google's generated avatar (default: true), which is never synced.
// The connector fetches it (the URL takes a size suffix) and replaces the
// PHOTO value toCard wrote with the bytes (setPhoto).
func photoURL(p *Person) string {
	var first string
	for _, ph := range p.Photos {
		if ph.Default || ph.URL == "" || !fromContact(ph.Metadata) {
			continue
		}
		if isPrimary(ph.Metadata) {
			return ph.URL
		}
		if first == "" {
			first = ph.URL
		}
	}
	return first
}

// setPhoto replaces c's PHOTO by data, inline as a data: URI of mediaType
// (image/jpeg, image/png).
func setPhoto(c *mapping.Card, mediaType string, data []byte) {
	c.Remove("PHOTO")
	c.Add(mapping.Property{Name: "PHOTO",
		Value: "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(data)})
}

// errPhotoFormat means a card's photo is not a JPEG or PNG data: URI, the
// only thing updateContactPhoto accepts.
var errPhotoFormat = errors.New("photo is not an inline JPEG or PNG")

// photoBytes decodes the photo fromCard put in p (Photos[0].URL) for
// updateContactPhoto: ok is false when p has none; err wraps errPhotoFormat
// when it cannot be uploaded as it is.
func photoBytes(p *Person) (data []byte, ok bool, err error) {
	if len(p.Photos) == 0 || p.Photos[0].URL == "" {
		return nil, false, nil
	}
	rest, isData := strings.CutPrefix(p.Photos[0].URL, "data:")
	meta, payload, found := strings.Cut(rest, ",")
	if !isData || !found || !strings.HasSuffix(strings.ToLower(meta), ";base64") {
		return nil, true, fmt.Errorf("google: photo: %w", errPhotoFormat)
	}
	data, err = base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, true, fmt.Errorf("google: photo: bad base64: %w", errPhotoFormat)
	}
	if photoType(data) == "" {
		return nil, true, fmt.Errorf("google: photo: %w", errPhotoFormat)
	}
	return data, true, nil
}

// photoType returns the media type of a JPEG or PNG image by its first
// bytes, or "" for anything else.
func photoType(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	}
	return ""
}

// ---------------------------------------------------------------------------
// Card → Person

// fromCard converts c to a Person ready for createContact or (after
// carryOver) updateContact. groupIDs maps group names to resource names;
// categories with no group yet come back in newGroups, in card order, for
// the connector to create before calling fromCard again. Of a property
// Google keeps one value of (FN, N, BDAY, NOTE, GENDER, PHOTO …) only the
// first is taken: the others stay in the hub through projection. The photo
// comes back in Photos (see Person.Photos), the UID in clientData.
func fromCard(c *mapping.Card, groupIDs map[string]string) (p *Person, newGroups []string) {
	p = &Person{}
	r := cardReader{labels: labelsOf(c), taken: map[string]bool{}}
	var (
		name                                          Name
		hasName                                       bool
		emails, tels, adrs, urls, ims, sips, lg, cals []*mapping.Property
		orgs                                          orgReader
		categories                                    []string
		starred                                       bool
	)
	for i := range c.Props {
		prop := &c.Props[i]
		upper := strings.ToUpper(prop.Name)
		if _, stored := storedProperties[upper]; !stored {
			continue
		}
		label := r.label(prop)
		switch upper {
		case "FN":
			hasName = r.setFirst(upper, prop, &name.UnstructuredName) || hasName
		case "N":
			if r.first(upper) {
				n := append(prop.Components(), "", "", "", "", "")
				name.FamilyName, name.GivenName, name.MiddleName = n[0], n[1], n[2]
				name.HonorificPrefix, name.HonorificSuffix = n[3], n[4]
				hasName = hasName || slices.ContainsFunc(n[:5], func(s string) bool { return s != "" })
			}
		case "X-PHONETIC-FIRST-NAME":
			hasName = r.setFirst(upper, prop, &name.PhoneticGivenName) || hasName
		case "X-PHONETIC-MIDDLE-NAME":
			hasName = r.setFirst(upper, prop, &name.PhoneticMiddleName) || hasName
		case "X-PHONETIC-LAST-NAME":
			hasName = r.setFirst(upper, prop, &name.PhoneticFamilyName) || hasName
		case propPhoneticFull:
			hasName = r.setFirst(upper, prop, &name.PhoneticFullName) || hasName
		case propPhoneticPre:
			hasName = r.setFirst(upper, prop, &name.PhoneticHonorificPrefix) || hasName
		case propPhoneticSuf:
			hasName = r.setFirst(upper, prop, &name.PhoneticHonorificSuffix) || hasName
		case "NICKNAME":
			for _, v := range prop.List() {
				if v != "" {
					p.Nicknames = append(p.Nicknames, Nickname{Value: v, Type: prop.Param(paramType)})
				}
			}
		case "EMAIL":
			emails = appendValued(emails, prop)
		case "TEL":
			if telText(prop) != "" {
				tels = append(tels, prop)
			}
		case "ADR":
			adrs = append(adrs, prop)
		case "ORG", "TITLE", "ROLE":
			orgs.add(prop, label)
		case "BDAY":
			if r.first(upper) {
				if bd, ok := birthdayOf(prop); ok {
					p.Birthdays = []Birthday{bd}
				}
			}
		case "ANNIVERSARY":
			if d, ok := parseDate(prop.Text()); ok && prop.Param("VALUE") == "" && r.first(upper) {
				p.Events = append(p.Events, Event{Date: &d, Type: "anniversary"})
			}
		case propDate:
			if d, ok := parseDate(prop.Text()); ok {
				p.Events = append(p.Events, Event{Date: &d, Type: labelOnly.decode(nil, label)})
			}
		case "URL":
			urls = appendValued(urls, prop)
		case "NOTE":
			if r.first(upper) && prop.Text() != "" {
				p.Biographies = []Biography{{Value: prop.Text(), ContentType: prop.Param(paramContentType)}}
			}
		case "RELATED":
			if v := prop.Text(); v != "" {
				p.Relations = append(p.Relations, Relation{Person: v, Type: relTypes.decode(prop.Types(), label)})
			}
		case "IMPP":
			if scheme, _, ok := splitScheme(prop.Text()); ok && (scheme == "sip" || scheme == "sips") {
				sips = append(sips, prop)
			} else {
				ims = appendValued(ims, prop)
			}
		case propUserDefined:
			if v := prop.Text(); v != "" || label != "" {
				p.UserDefined = append(p.UserDefined, UserDefined{Key: label, Value: v})
			}
		case propExternalID:
			if v := prop.Text(); v != "" {
				p.ExternalIDs = append(p.ExternalIDs, ExternalID{Value: v, Type: prop.Param(paramType)})
			}
		case "GENDER":
			if r.first(upper) {
				if v := genderOf(prop.Components()); v != "" {
					r.gender().Value = v
				}
			}
		case "PRONOUNS":
			if r.first(upper) && prop.Text() != "" {
				r.gender().AddressMeAs = prop.Text()
			}
		case "CALURI", "FBURL":
			cals = appendValued(cals, prop)
		case "LANG":
			lg = appendValued(lg, prop)
		case "INTEREST":
			if v := prop.Text(); v != "" {
				p.Interests = append(p.Interests, Interest{Value: v})
			}
		case propOccupation:
			if v := prop.Text(); v != "" {
				p.Occupations = append(p.Occupations, Occupation{Value: v})
			}
		case propLocation:
			p.Locations = append(p.Locations, locationOf(prop))
		case propKeyword:
			if v := prop.Text(); v != "" {
				p.MiscKeywords = append(p.MiscKeywords, MiscKeyword{Value: v, Type: prop.Param(paramType)})
			}
		case "PHOTO":
			if r.first(upper) && prop.Text() != "" {
				p.Photos = []Photo{{URL: prop.Text()}}
			}
		case "CATEGORIES":
			categories = append(categories, prop.List()...)
		case propStarred:
			if r.first(upper) {
				starred = strings.EqualFold(strings.TrimSpace(prop.Text()), "TRUE")
			}
		case "UID":
			if r.first(upper) && prop.Text() != "" {
				p.ClientData = append(p.ClientData, ClientData{Key: clientKeyUID, Value: prop.Text()})
			}
		}
	}
	if hasName {
		p.Names = []Name{name}
	}
	if r.g != nil {
		p.Genders = []Gender{*r.g}
	}
	prim := primaryOf(emails)
	for i, e := range emails {
		p.EmailAddresses = append(p.EmailAddresses, EmailAddress{Metadata: primaryMeta(i == prim), Value: e.Text(),
			Type: emailTypes.decode(e.Types(), r.label(e)), DisplayName: e.Param(paramDisplayName)})
	}
	prim = primaryOf(tels)
	for i, t := range tels {
		p.PhoneNumbers = append(p.PhoneNumbers, PhoneNumber{Metadata: primaryMeta(i == prim), Value: telText(t),
			Type: telTypes.decode(t.Types(), r.label(t))})
	}
	p.Addresses = addressesOf(adrs, &r)
	p.Organizations = orgs.organizations()
	prim = primaryOf(urls)
	for i, u := range urls {
		p.URLs = append(p.URLs, URL{Metadata: primaryMeta(i == prim), Value: u.Text(),
			Type: urlTypes.decode(u.Types(), r.label(u))})
	}
	prim = primaryOf(ims)
	for i, m := range ims {
		protocol, user := imClientOf(m.Text(), m.Param(paramServiceType))
		p.IMClients = append(p.IMClients, IMClient{Metadata: primaryMeta(i == prim), Username: user,
			Protocol: protocol, Type: imTypes.decode(m.Types(), r.label(m))})
	}
	prim = primaryOf(sips)
	for i, s := range sips {
		p.SIPAddresses = append(p.SIPAddresses, SIPAddress{Metadata: primaryMeta(i == prim), Value: s.Text(),
			Type: sipTypes.decode(s.Types(), r.label(s))})
	}
	prim = primaryOf(cals)
	for i, cal := range cals {
		t := "freeBusy"
		if strings.EqualFold(cal.Name, "CALURI") {
			t = calTypes.decode(cal.Types(), r.label(cal))
		}
		p.CalendarURLs = append(p.CalendarURLs, CalendarURL{Metadata: primaryMeta(i == prim), URL: cal.Text(), Type: t})
	}
	prim = primaryOf(lg)
	for i, l := range lg {
		p.Locales = append(p.Locales, Locale{Metadata: primaryMeta(i == prim), Value: l.Text()})
	}
	p.Memberships, newGroups = membershipsOf(categories, starred, groupIDs)
	return p, newGroups
}

// cardReader is what fromCard keeps while it reads a card.
type cardReader struct {
	labels map[string]string // group (lower case) → X-ABLABEL text
	taken  map[string]bool   // single-valued properties already read
	g      *Gender
}

// first reports whether this is the first property called name, the only
// one Google keeps of a single-valued property.
func (r *cardReader) first(name string) bool {
	if r.taken[name] {
		return false
	}
	r.taken[name] = true
	return true
}

// setFirst sets *dst to p's text when p is the first of its name and not
// empty, and reports whether it did.
func (r *cardReader) setFirst(name string, p *mapping.Property, dst *string) bool {
	if v := p.Text(); v != "" && r.first(name) {
		*dst = v
		return true
	}
	return false
}

// label returns the X-ABLABEL of p's group, or "".
func (r *cardReader) label(p *mapping.Property) string {
	if p.Group == "" {
		return ""
	}
	return r.labels[strings.ToLower(p.Group)]
}

func (r *cardReader) gender() *Gender {
	if r.g == nil {
		r.g = &Gender{}
	}
	return r.g
}

// labelsOf maps each group of c (lower case) to the text of its first
// X-ABLABEL.
func labelsOf(c *mapping.Card) map[string]string {
	labels := map[string]string{}
	for i := range c.Props {
		p := &c.Props[i]
		if p.Group == "" || !strings.EqualFold(p.Name, propLabel) {
			continue
		}
		g := strings.ToLower(p.Group)
		if _, ok := labels[g]; !ok {
			labels[g] = p.Text()
		}
	}
	return labels
}

// appendValued appends p unless its value is empty: Google has no use for
// an e-mail address or phone number without one.
func appendValued(ps []*mapping.Property, p *mapping.Property) []*mapping.Property {
	if p.Text() == "" {
		return ps
	}
	return append(ps, p)
}

// primaryOf returns the index of the most preferred of ps (lowest PREF
// from 1 to 100, the first of equals), or -1 when none has PREF.
func primaryOf(ps []*mapping.Property) int {
	best, rank := -1, 101
	for i, p := range ps {
		n, err := strconv.Atoi(p.Param("PREF"))
		if err == nil && n >= 1 && n < rank {
			best, rank = i, n
		}
	}
	return best
}

// primaryMeta is the metadata of a field item the card prefers: the
// source's primary item is the one a client can set.
func primaryMeta(primary bool) *FieldMetadata {
	if !primary {
		return nil
	}
	return &FieldMetadata{SourcePrimary: true}
}

// telText returns a phone number's text, without the tel: of a vCard 4.0
// URI value (which some writers use without VALUE=uri): Google would show
// it as part of the number.
func telText(p *mapping.Property) string {
	v := p.Text()
	if len(v) > 4 && strings.EqualFold(v[:4], "tel:") {
		return v[4:]
	}
	return v
}

// addressesOf converts ADR properties. A LABEL parameter is the formatted
// address only when the components are all empty; with components, Google
// builds the formatted address itself, and a LABEL that no longer matches
// them after an edit elsewhere must not override them.
func addressesOf(adrs []*mapping.Property, r *cardReader) []Address {
	var out []*mapping.Property
	var as []Address
	for _, p := range adrs {
		c := append(p.Components(), "", "", "", "", "", "", "")
		a := Address{POBox: c[0], ExtendedAddress: c[1], StreetAddress: c[2], City: c[3], Region: c[4],
			PostalCode: c[5], Country: c[6], CountryCode: p.Param("CC"), Type: adrTypes.decode(p.Types(), r.label(p))}
		if a == (Address{Type: a.Type, CountryCode: a.CountryCode}) {
			a.FormattedValue = p.Param("LABEL")
		}
		if a == (Address{Type: a.Type}) {
			continue
		}
		out = append(out, p)
		as = append(as, a)
	}
	if prim := primaryOf(out); prim >= 0 {
		as[prim].Metadata = primaryMeta(true)
	}
	return as
}

// birthdayOf reads BDAY: a date (with the original spelling kept as text
// when it is not the one toCard writes), else free text.
func birthdayOf(p *mapping.Property) (Birthday, bool) {
	v := p.Text()
	if v == "" {
		return Birthday{}, false
	}
	if strings.EqualFold(p.Param("VALUE"), "text") {
		return Birthday{Text: v}, true
	}
	d, ok := parseDate(v)
	if !ok {
		return Birthday{Text: v}, true
	}
	bd := Birthday{Date: &d}
	if formatDate(&d, false) != v {
		bd.Text = v
	}
	return bd, true
}

// genderOf reads GENDER's components back into Google's value; see
// genderComponents.
func genderOf(c []string) string {
	for len(c) > 1 && c[len(c)-1] == "" {
		c = c[:len(c)-1]
	}
	switch {
	case len(c) == 0 || (len(c) == 1 && c[0] == ""):
		return ""
	case len(c) == 1:
		for g, s := range genderSex {
			if c[0] == s {
				return g
			}
		}
	case len(c) == 2 && c[0] == "O" && c[1] != "" && !isSexLetter(c[1]) && !strings.Contains(c[1], ";"):
		return c[1]
	}
	return strings.Join(c, ";")
}

func locationOf(p *mapping.Property) Location {
	l := Location{Value: p.Text(), Type: p.Param(paramType), BuildingID: p.Param(paramBuilding),
		Floor: p.Param(paramFloor), FloorSection: p.Param(paramFloorSection), DeskCode: p.Param(paramDesk)}
	l.Current = boolParam(p, paramCurrent)
	return l
}

// boolParam reads a true/false parameter; nil when absent or neither.
func boolParam(p *mapping.Property, name string) *bool {
	b, err := strconv.ParseBool(p.Param(name))
	if err != nil {
		return nil
	}
	return &b
}

// orgReader pairs ORG, TITLE and ROLE into organizations: properties of one
// group make one organization; ungrouped ones fill the first ungrouped
// organization that lacks that property, or start a new one.
type orgReader struct {
	orgs []*orgParts
}

type orgParts struct {
	group                     string // lower case; "" for ungrouped
	label                     string
	org                       Organization
	types                     []string
	hasORG, hasTitle, hasRole bool
}

func (o *orgReader) add(p *mapping.Property, label string) {
	name := strings.ToUpper(p.Name)
	has := func(op *orgParts) bool {
		switch name {
		case "ORG":
			return op.hasORG
		case "TITLE":
			return op.hasTitle
		}
		return op.hasRole
	}
	group := strings.ToLower(p.Group)
	var op *orgParts
	for _, x := range o.orgs {
		if x.group == group && (group != "" || !has(x)) {
			op = x
			break
		}
	}
	if op == nil || has(op) {
		// A second ORG (TITLE, ROLE) in one group starts an organization
		// of its own, which nothing else joins.
		if op != nil {
			group += "#" + strconv.Itoa(len(o.orgs))
		}
		op = &orgParts{group: group, label: label}
		o.orgs = append(o.orgs, op)
	}
	switch name {
	case "ORG":
		op.hasORG = true
		if c := p.Components(); slices.ContainsFunc(c, func(s string) bool { return s != "" }) {
			op.org.Name = c[0]
			op.org.Department = strings.Join(c[1:], ";")
		}
		op.types = p.Types()
		op.org.Symbol = p.Param(paramSymbol)
		op.org.Domain = p.Param(paramDomain)
		op.org.Location = p.Param(paramLocation)
		op.org.PhoneticName = p.Param(paramPhoneticName)
		op.org.CostCenter = p.Param(paramCostCenter)
		op.org.FullTimeEquivalentMillipercent, _ = strconv.Atoi(p.Param(paramFTE))
		if d, ok := parseDate(p.Param(paramStart)); ok {
			op.org.StartDate = &d
		}
		if d, ok := parseDate(p.Param(paramEnd)); ok {
			op.org.EndDate = &d
		}
		op.org.Current = boolParam(p, paramCurrent)
	case "TITLE":
		op.hasTitle = true
		op.org.Title = p.Text()
	case "ROLE":
		op.hasRole = true
		op.org.JobDescription = p.Text()
	}
}

func (o *orgReader) organizations() []Organization {
	var out []Organization
	for _, op := range o.orgs {
		op.org.Type = orgTypes.decode(op.types, op.label)
		if op.org == (Organization{Type: op.org.Type}) {
			continue // nothing but a type
		}
		out = append(out, op.org)
	}
	return out
}

// membershipsOf turns categories into memberships: always myContacts (a
// contact keeps at least one contact-group membership, and myContacts is
// what makes it a contact), starred when the card says so, and the groups
// named. Names are matched exactly, else ignoring case (Google refuses a
// second group whose name differs only by case, as far as is known).
// "My Contacts", the name Google's CardDAV export gives myContacts, is not a
// group of its own.
func membershipsOf(categories []string, starred bool, groupIDs map[string]string) ([]Membership, []string) {
	ms := []Membership{membership(groupMyContacts)}
	if starred {
		ms = append(ms, membership(groupStarred))
	}
	have := map[string]bool{groupMyContacts: true, groupStarred: starred}
	var newGroups []string
	for _, name := range categories {
		if name == "" || isMyContactsName(name) {
			continue
		}
		id := lookupGroup(groupIDs, name)
		switch {
		case id == "":
			if !slices.Contains(newGroups, name) {
				newGroups = append(newGroups, name)
			}
		case !have[id]:
			have[id] = true
			ms = append(ms, membership(id))
		}
	}
	return ms, newGroups
}

func membership(resourceName string) Membership {
	return Membership{ContactGroupMembership: &ContactGroupMembership{ContactGroupResourceName: resourceName}}
}

// isMyContactsName reports whether a category is Google's name for the
// myContacts system group rather than a group of the user's.
func isMyContactsName(name string) bool {
	return strings.EqualFold(name, "My Contacts") || strings.EqualFold(name, "System Group: My Contacts")
}

func lookupGroup(ids map[string]string, name string) string {
	if id, ok := ids[name]; ok {
		return id
	}
	keys := slices.Sorted(maps.Keys(ids))
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return ids[k]
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Dates

// parseDate reads a vCard date with or without a year: YYYYMMDD,
// YYYY-MM-DD, YYYY-MM, YYYY, --MMDD, --MM-DD, --MM, ---DD, optionally
// followed by a time (THH…), which Google has no room for.
func parseDate(s string) (Date, bool) {
	if i := strings.IndexAny(s, "Tt"); i > 0 {
		s = s[:i]
	}
	// Each layout: Y, M and D mark the digits of a part, anything else
	// must match as it is.
	for _, layout := range []string{"YYYYMMDD", "YYYY-MM-DD", "YYYY-MM", "YYYY", "--MMDD", "--MM-DD", "--MM", "---DD"} {
		if d, ok := dateLayout(s, layout); ok {
			return d, true
		}
	}
	return Date{}, false
}

// dateLayout reads s by one layout of parseDate. A part the layout has
// must be in range (a year from 1 to 9999); the others stay 0.
func dateLayout(s, layout string) (Date, bool) {
	if len(s) != len(layout) {
		return Date{}, false
	}
	var d Date
	for i := 0; i < len(s); i++ {
		var part *int
		switch layout[i] {
		case 'Y':
			part = &d.Year
		case 'M':
			part = &d.Month
		case 'D':
			part = &d.Day
		default:
			if s[i] != layout[i] {
				return Date{}, false
			}
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return Date{}, false
		}
		*part = *part*10 + int(s[i]-'0')
	}
	has := func(c string) bool { return strings.Contains(layout, c) }
	if (has("Y") && (d.Year < 1 || d.Year > 9999)) || (has("M") && (d.Month < 1 || d.Month > 12)) ||
		(has("D") && (d.Day < 1 || d.Day > 31)) {
		return Date{}, false
	}
	return d, true
}

// formatDate writes d as vCard 4.0 does (YYYYMMDD, --MMDD without a year),
// or with dashes (YYYY-MM-DD, --MM-DD) when extended; "" for no date.
func formatDate(d *Date, extended bool) string {
	if d == nil || (d.Year == 0 && d.Month == 0 && d.Day == 0) {
		return ""
	}
	sep := ""
	if extended {
		sep = "-"
	}
	switch {
	case d.Year > 0 && d.Month > 0 && d.Day > 0:
		return fmt.Sprintf("%04d%s%02d%s%02d", d.Year, sep, d.Month, sep, d.Day)
	case d.Year > 0 && d.Month > 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	case d.Year > 0:
		return fmt.Sprintf("%04d", d.Year)
	case d.Month > 0 && d.Day > 0:
		return fmt.Sprintf("--%02d%s%02d", d.Month, sep, d.Day)
	case d.Month > 0:
		return fmt.Sprintf("--%02d", d.Month)
	}
	return fmt.Sprintf("---%02d", d.Day)
}

// ---------------------------------------------------------------------------
// IMPP

// imSchemes are the URI schemes of Google's IM protocols. googleTalk is
// XMPP and written as Apple does (xmpp: with X-SERVICE-TYPE=GoogleTalk), so
// that it stays apart from jabber.
var imSchemes = map[string]string{
	"aim": "aim", "msn": "msnim", "yahoo": "ymsgr", "skype": "skype", "qq": "qq",
	"icq": "icq", "jabber": "xmpp", "netMeeting": "callto",
}

// serviceSchemes are the schemes Apple writes for its X-SERVICE-TYPE names
// (lower case), for custom protocols that are such names.
var serviceSchemes = map[string]string{
	"aim": "aim", "icq": "aim", "jabber": "xmpp", "googletalk": "xmpp", "facebook": "xmpp",
	"msn": "msnim", "yahoo": "ymsgr", "skype": "skype", "qq": "x-apple", "gadugadu": "x-apple",
}

// imppValue returns the IMPP URI for a Google IM account and the
// X-SERVICE-TYPE to go with it ("" for none). A custom protocol that reads
// as a URI scheme is the scheme; any other is the service type.
func imppValue(protocol, username string) (value, service string) {
	switch {
	case protocol == "":
		return username, ""
	case protocol == "googleTalk":
		return "xmpp:" + escapeIM(username), "GoogleTalk"
	case imSchemes[protocol] != "":
		return imSchemes[protocol] + ":" + escapeIM(username), ""
	case isScheme(protocol):
		return protocol + ":" + escapeIM(username), ""
	}
	scheme := serviceSchemes[strings.ToLower(protocol)]
	if scheme == "" {
		scheme = "x-apple"
	}
	return scheme + ":" + escapeIM(username), protocol
}

// imClientOf is the inverse of imppValue.
func imClientOf(value, service string) (protocol, username string) {
	scheme, rest, ok := splitScheme(value)
	if !ok {
		return service, value
	}
	user := unescapeIM(rest)
	switch {
	case service == "GoogleTalk" && scheme == "xmpp":
		return "googleTalk", user
	case service != "":
		return service, user
	}
	for p, s := range imSchemes {
		if s == scheme {
			return p, user
		}
	}
	return scheme, user
}

// escapeIM percent-encodes what cannot stand in a URI as it is: spaces and
// control characters. Nothing else is touched, so that unescapeIM undoes
// exactly this and a username written with other escapes (%2F) comes back
// as it was.
func escapeIM(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescapeIM undoes escapeIM.
func unescapeIM(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil && (v <= ' ' || v == 0x7f) {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitScheme splits a URI into its scheme (lower case) and the rest.
func splitScheme(v string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(v, ':')
	if i <= 0 || !isScheme(strings.ToLower(v[:i])) {
		return "", v, false
	}
	return strings.ToLower(v[:i]), v[i+1:], true
}

func isScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// uriSchemes are the schemes a RELATED value is taken as a URI for; any
// other text is a name (VALUE=text).
var uriSchemes = map[string]bool{
	"urn": true, "uuid": true, "mailto": true, "http": true, "https": true,
	"tel": true, "sip": true, "sips": true, "xmpp": true, "ldap": true, "cid": true,
}

func isURIValue(v string) bool {
	scheme, _, ok := splitScheme(v)
	return ok && uriSchemes[scheme]
}

// ---------------------------------------------------------------------------
// Writing back

// updatableFields are the personFields the mapping writes, all valid in an
// updateMask (updatePersonFields): photos go through updateContactPhoto,
// skills and fileAses are not written.
var updatableFields = []string{
	"addresses", "biographies", "birthdays", "calendarUrls", "clientData", "emailAddresses",
	"events", "externalIds", "genders", "imClients", "interests", "locales", "locations",
	"memberships", "miscKeywords", "names", "nicknames", "occupations", "organizations",
	"phoneNumbers", "relations", "sipAddresses", "urls", "userDefined",
}

// updateMask returns the personFields of updated that differ from old, for
// batchUpdateContacts' updateMask: every field named is replaced. Output
// only values (formattedType, canonicalForm, displayName …), field
// metadata other than which item is primary (where the card says so, and
// not the first), items of other sources and
// the formatted address Google builds itself are not differences; nor is
// the order of memberships and clientData. Photos are never in it. updated
// should have been through carryOver.
func updateMask(old, updated *Person) []string {
	var mask []string
	for _, f := range updatableFields {
		if !bytes.Equal(maskForm(old, f), maskForm(updated, f)) {
			mask = append(mask, f)
		}
	}
	return mask
}

// readOnlyKeys are the output-only keys of each field's items.
var readOnlyKeys = map[string][]string{
	"names":        {"displayName", "displayNameLastFirst"},
	"phoneNumbers": {"canonicalForm"},
	"imClients":    {"formattedProtocol"},
	"genders":      {"formattedValue"},
	"memberships":  {"domainMembership"},
}

// primaryFields are the fields whose primary item the card says (PREF).
var primaryFields = map[string]bool{
	"emailAddresses": true, "phoneNumbers": true, "addresses": true, "urls": true,
	"imClients": true, "sipAddresses": true, "locales": true, "calendarUrls": true,
}

// defaultValues are values the API treats as unset.
var defaultValues = map[string]map[string]string{
	"nicknames":    {"type": "DEFAULT"},
	"biographies":  {"contentType": "TEXT_PLAIN"},
	"miscKeywords": {"type": "TYPE_UNSPECIFIED"},
}

var structuredAddressKeys = []string{"poBox", "extendedAddress", "streetAddress", "city", "region", "postalCode", "country"}

// maskForm returns field f of p in the form updateMask compares.
func maskForm(p *Person, f string) []byte {
	raw, err := json.Marshal(fieldOf(p, f))
	if err != nil {
		panic(err) // cannot happen: the field types marshal
	}
	var items []map[string]any
	if err := json.Unmarshal(raw, &items); err != nil {
		panic(err)
	}
	items = slices.DeleteFunc(items, func(it map[string]any) bool {
		md, _ := it["metadata"].(map[string]any)
		src, _ := md["source"].(map[string]any)
		t, _ := src["type"].(string)
		return t != "" && t != "CONTACT"
	})
	chosen := false // the first primary item, unless it is the first item (see prefIndex)
	for i, it := range items {
		md, _ := it["metadata"].(map[string]any)
		delete(it, "metadata")
		if primaryFields[f] && !chosen && (md["primary"] == true || md["sourcePrimary"] == true) {
			chosen = true
			if i > 0 {
				it["primary"] = true
			}
		}
		delete(it, "formattedType")
		for _, k := range readOnlyKeys[f] {
			delete(it, k)
		}
		for k, v := range defaultValues[f] {
			if it[k] == v {
				delete(it, k)
			}
		}
		switch f {
		case "addresses":
			for _, k := range structuredAddressKeys {
				if it[k] != nil {
					delete(it, "formattedValue")
					break
				}
			}
		case "memberships":
			if g, ok := it["contactGroupMembership"].(map[string]any); ok {
				if g["contactGroupResourceName"] == nil && g["contactGroupId"] != nil {
					g["contactGroupResourceName"] = "contactGroups/" + fmt.Sprint(g["contactGroupId"])
				}
				delete(g, "contactGroupId")
			}
		}
	}
	items = slices.DeleteFunc(items, func(it map[string]any) bool { return len(it) == 0 })
	out := make([][]byte, len(items))
	for i, it := range items {
		out[i], _ = json.Marshal(it) // map keys come out sorted
	}
	if f == "memberships" || f == "clientData" {
		slices.SortFunc(out, bytes.Compare)
	}
	return bytes.Join(out, []byte("\n"))
}

// fieldOf returns the slice of p named by the personFields value f.
func fieldOf(p *Person, f string) any {
	switch f {
	case "addresses":
		return p.Addresses
	case "biographies":
		return p.Biographies
	case "birthdays":
		return p.Birthdays
	case "calendarUrls":
		return p.CalendarURLs
	case "clientData":
		return p.ClientData
	case "emailAddresses":
		return p.EmailAddresses
	case "events":
		return p.Events
	case "externalIds":
		return p.ExternalIDs
	case "genders":
		return p.Genders
	case "imClients":
		return p.IMClients
	case "interests":
		return p.Interests
	case "locales":
		return p.Locales
	case "locations":
		return p.Locations
	case "memberships":
		return p.Memberships
	case "miscKeywords":
		return p.MiscKeywords
	case "names":
		return p.Names
	case "nicknames":
		return p.Nicknames
	case "occupations":
		return p.Occupations
	case "organizations":
		return p.Organizations
	case "phoneNumbers":
		return p.PhoneNumbers
	case "relations":
		return p.Relations
	case "sipAddresses":
		return p.SIPAddresses
	case "urls":
		return p.URLs
	case "userDefined":
		return p.UserDefined
	}
	panic("google: no person field " + f)
}

// carryOver copies into updated, made by fromCard to replace old, what the
// card cannot say but the update must keep: the resource name, etag and
// sources (whose etags Google checks), clientData of other clients and the
// bridge's record key, and memberships of the deprecated system groups
// (which can be kept but never added again).
func carryOver(old, updated *Person) {
	updated.ResourceName, updated.Etag = old.ResourceName, old.Etag
	if old.Metadata != nil {
		updated.Metadata = &PersonMetadata{Sources: old.Metadata.Sources}
	}
	for _, d := range old.ClientData {
		if fromContact(d.Metadata) && d.Key != clientKeyUID {
			updated.ClientData = append(updated.ClientData, ClientData{Key: d.Key, Value: d.Value})
		}
	}
	for _, m := range old.Memberships {
		if rn := groupOf(m); fromContact(m.Metadata) && systemGroups[rn] && rn != groupMyContacts && rn != groupStarred {
			updated.Memberships = append(updated.Memberships, membership(rn))
		}
	}
}

// recordKey returns the hub record id the contact was created for, or ""
// for a contact made elsewhere (connectors.Item.Key).
func recordKey(p *Person) string {
	for _, d := range p.ClientData {
		if fromContact(d.Metadata) && d.Key == clientKeyRecord {
			return d.Value
		}
	}
	return ""
}

// setRecordKey stores key as the contact's record key, replacing any.
func setRecordKey(p *Person, key string) {
	p.ClientData = slices.DeleteFunc(p.ClientData, func(d ClientData) bool { return d.Key == clientKeyRecord })
	p.ClientData = append(p.ClientData, ClientData{Key: clientKeyRecord, Value: key})
}
