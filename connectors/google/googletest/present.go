package googletest

import (
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"strings"
	"time"
)

// How a person is being read: some fields exist only in some reads.
type renderMode int

const (
	modeGet  renderMode = iota // people.get, getBatchGet, write responses
	modeList                   // a full connections.list
	modeSync                   // connections.list with a sync token
)

// listFieldCap is the most e-mail addresses and phone numbers a person
// carries in connections.list (reference §1, §10.10).
const listFieldCap = 100

// timeFormat is the google-datetime form of updateTime.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// render builds the Person the API returns for version v of c, with the
// fields of m. resourceName and etag are always there.
func (u *User) render(c *contact, v *version, m mask, mode renderMode) Person {
	if v.state != live {
		// The minimal tombstone of reference §1.1.
		return Person{ResourceName: c.name, ETag: v.etag, Metadata: &PersonMetadata{
			Sources: []Source{{Type: "CONTACT", ID: c.sourceID}},
			Deleted: true,
		}}
	}
	p := clonePerson(v.data)
	pv := reflect.ValueOf(p).Elem()
	for i := range pv.NumField() {
		if name := wireName(pv.Type().Field(i)); !m[name] {
			pv.Field(i).SetZero()
		}
	}
	p.ResourceName, p.ETag = c.name, v.etag
	if m["metadata"] {
		p.Metadata = &PersonMetadata{
			Sources: []Source{{Type: "CONTACT", ID: c.sourceID, ETag: v.srcETag,
				UpdateTime: v.updated.UTC().Format(timeFormat)}},
			ObjectType: "PERSON",
		}
		if mode == modeSync {
			p.Metadata.PreviousResourceNames = v.prev
		}
	}
	if m["photos"] {
		p.Photos = []Photo{u.s.photoOf(c, v)}
	}
	decorate(p, c.sourceID)
	if mode != modeGet {
		if len(p.EmailAddresses) > listFieldCap {
			p.EmailAddresses = p.EmailAddresses[:listFieldCap]
		}
		if len(p.PhoneNumbers) > listFieldCap {
			p.PhoneNumbers = p.PhoneNumbers[:listFieldCap]
		}
	}
	return *p
}

// profile is people/me: the account owner's profile, from the PROFILE and
// ACCOUNT sources rather than a contact.
func (u *User) profile(m mask) Person {
	sum := sha256.Sum256([]byte(u.id + "\n" + u.profileName + "\n" + u.email))
	p := Person{ResourceName: "people/" + u.id, ETag: "%" + base64.StdEncoding.EncodeToString(sum[:18])}
	src := &Source{Type: "PROFILE", ID: u.id}
	if m["metadata"] {
		p.Metadata = &PersonMetadata{Sources: []Source{{Type: "PROFILE", ID: u.id, ETag: "#" + base64.StdEncoding.EncodeToString(sum[18:26]),
			ProfileMetadata: &ProfileMetadata{ObjectType: "PERSON", UserTypes: []string{"GOOGLE_USER"}}}}, ObjectType: "PERSON"}
	}
	if m["names"] {
		p.Names = []Name{{Metadata: &FieldMetadata{Primary: true, SourcePrimary: true, Source: src}, UnstructuredName: u.profileName}}
		fillName(&p.Names[0])
	}
	if m["emailAddresses"] {
		p.EmailAddresses = []EmailAddress{{Metadata: &FieldMetadata{Primary: true, SourcePrimary: true, Verified: true,
			Source: &Source{Type: "ACCOUNT", ID: u.id}}, Value: u.email}}
	}
	return p
}

// stripOutputOnly clears, recursively, the fields the discovery document
// marks output only, and reduces field metadata to sourcePrimary: Google
// ignores all of them on input and computes them on output.
func stripOutputOnly(p *Person) { strip(reflect.ValueOf(p).Elem()) }

func strip(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type().Elem() == reflect.TypeFor[FieldMetadata]() {
			if v.Elem().FieldByName("SourcePrimary").Bool() {
				v.Set(reflect.ValueOf(&FieldMetadata{SourcePrimary: true}))
			} else {
				v.SetZero()
			}
			return
		}
		strip(v.Elem())
	case reflect.Slice:
		for i := range v.Len() {
			strip(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if readOnly(v.Type().Field(i)) {
				v.Field(i).SetZero()
			} else {
				strip(v.Field(i))
			}
		}
	}
}

// decorate fills what Google computes on output: per-value field metadata
// (exactly one value of each field is primary, reference §6 via the
// discovery document), display names, formatted types, the E.164 canonical
// form of phone numbers, formatted addresses and group ids.
func decorate(p *Person, sourceID string) {
	pv := reflect.ValueOf(p).Elem()
	for i := range pv.NumField() {
		f := pv.Field(i)
		if f.Kind() != reflect.Slice || f.Len() == 0 || f.Type().Elem().Kind() != reflect.Struct {
			continue
		}
		if mf, ok := f.Type().Elem().FieldByName("Metadata"); !ok || mf.Type.Elem() != reflect.TypeFor[FieldMetadata]() {
			continue
		}
		if pv.Type().Field(i).Name == "Photos" {
			continue // photoOf sets their metadata
		}
		primary := 0
		for j := range f.Len() {
			if md := f.Index(j).FieldByName("Metadata"); !md.IsNil() && md.Elem().FieldByName("SourcePrimary").Bool() {
				primary = j
				break
			}
		}
		for j := range f.Len() {
			md := &FieldMetadata{Source: &Source{Type: "CONTACT", ID: sourceID}}
			if j == primary {
				md.Primary, md.SourcePrimary = true, true
			}
			f.Index(j).FieldByName("Metadata").Set(reflect.ValueOf(md))
		}
	}
	for i := range p.Names {
		fillName(&p.Names[i])
	}
	for i := range p.EmailAddresses {
		p.EmailAddresses[i].FormattedType = formattedType(p.EmailAddresses[i].Type, "home", "work", "other")
	}
	for i := range p.PhoneNumbers {
		n := &p.PhoneNumbers[i]
		n.FormattedType = formattedType(n.Type, "home", "work", "mobile", "homeFax", "workFax", "otherFax", "pager",
			"workMobile", "workPager", "main", "googleVoice", "other")
		n.CanonicalForm = canonicalPhone(n.Value)
	}
	for i := range p.Addresses {
		a := &p.Addresses[i]
		a.FormattedType = formattedType(a.Type, "home", "work", "other")
		if a.FormattedValue == "" {
			a.FormattedValue = formatAddress(a)
		}
	}
	for i := range p.URLs {
		p.URLs[i].FormattedType = formattedType(p.URLs[i].Type, "home", "work", "blog", "profile", "homePage", "ftp",
			"reservations", "appInstallPage", "other")
	}
	for i := range p.Events {
		p.Events[i].FormattedType = formattedType(p.Events[i].Type, "anniversary", "other")
	}
	for i := range p.Relations {
		p.Relations[i].FormattedType = formattedType(p.Relations[i].Type, "spouse", "child", "mother", "father",
			"parent", "brother", "sister", "friend", "relative", "domesticPartner", "manager", "assistant",
			"referredBy", "partner")
	}
	for i := range p.IMClients {
		c := &p.IMClients[i]
		c.FormattedType = formattedType(c.Type, "home", "work", "other")
		c.FormattedProtocol = formattedType(c.Protocol, "aim", "msn", "yahoo", "skype", "qq", "googleTalk", "icq",
			"jabber", "netMeeting")
	}
	for i := range p.Organizations {
		p.Organizations[i].FormattedType = formattedType(p.Organizations[i].Type, "work", "school")
	}
	for i := range p.CalendarURLs {
		p.CalendarURLs[i].FormattedType = formattedType(p.CalendarURLs[i].Type, "home", "freeBusy", "work")
	}
	for i := range p.ExternalIDs {
		p.ExternalIDs[i].FormattedType = formattedType(p.ExternalIDs[i].Type, "account", "customer", "network",
			"organization", "loginId")
	}
	for i := range p.SIPAddresses {
		p.SIPAddresses[i].FormattedType = formattedType(p.SIPAddresses[i].Type, "home", "work", "mobile", "other")
	}
	for i := range p.Genders {
		p.Genders[i].FormattedValue = formattedType(p.Genders[i].Value, "male", "female", "unspecified")
	}
	for i := range p.MiscKeywords {
		if t := p.MiscKeywords[i].Type; t != "" && t != "TYPE_UNSPECIFIED" {
			p.MiscKeywords[i].FormattedType = humanize(strings.ToLower(strings.ReplaceAll(t, "_", " ")))
		}
	}
	for i := range p.Memberships {
		if g := p.Memberships[i].ContactGroupMembership; g != nil {
			g.ContactGroupID = strings.TrimPrefix(g.ContactGroupResourceName, groupPrefix)
		}
	}
}

// fillName computes displayName, displayNameLastFirst and, when the client
// gave none, unstructuredName, as Google does for a contact's name.
func fillName(n *Name) {
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " ")
	}
	display := join(n.HonorificPrefix, n.GivenName, n.MiddleName, n.FamilyName, n.HonorificSuffix)
	if display == "" {
		display = strings.TrimSpace(n.UnstructuredName)
	}
	n.DisplayName = display
	if n.FamilyName != "" {
		first := join(n.HonorificPrefix, n.GivenName, n.MiddleName)
		n.DisplayNameLastFirst = n.FamilyName
		if first != "" {
			n.DisplayNameLastFirst += ", " + first
		}
		if n.HonorificSuffix != "" {
			n.DisplayNameLastFirst += ", " + n.HonorificSuffix
		}
	} else {
		n.DisplayNameLastFirst = display
	}
	if n.UnstructuredName == "" {
		n.UnstructuredName = display
	}
}

// formattedType is the display form of a type: Google translates the types
// it knows ("homeFax" → "Home Fax") and echoes custom ones.
func formattedType(t string, known ...string) string {
	for _, k := range known {
		if t == k {
			return humanize(t)
		}
	}
	return t
}

func humanize(t string) string {
	var b strings.Builder
	for i, r := range t {
		switch {
		case i == 0:
			b.WriteString(strings.ToUpper(string(r)))
		case r >= 'A' && r <= 'Z':
			b.WriteByte(' ')
			b.WriteRune(r)
		case i > 0 && t[i-1] == ' ':
			b.WriteString(strings.ToUpper(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// canonicalPhone is the E.164 form of an international number; Google
// would also resolve national numbers by the account's region, which the
// fake does not know, so those get none.
func canonicalPhone(v string) string {
	s := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -.()\u00a0", r) {
			return -1
		}
		return r
	}, v)
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return ""
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s
}

func formatAddress(a *Address) string {
	var lines []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	add(a.StreetAddress)
	add(a.ExtendedAddress)
	if a.PoBox != "" {
		add("PO Box " + a.PoBox)
	}
	cityLine := strings.TrimSpace(strings.Join(nonEmpty(a.City+",", a.Region, a.PostalCode), " "))
	add(strings.TrimSuffix(cityLine, ","))
	add(a.Country)
	return strings.Join(lines, "\n")
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" && p != "," {
			out = append(out, p)
		}
	}
	return out
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }
