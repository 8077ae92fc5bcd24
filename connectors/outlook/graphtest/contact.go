package graphtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Contact is the Graph v1.0 contact resource (reference §2): every JSON
// name is Graph's. Tests pass it to User.Put and get it back from
// User.Contacts; the read-only fields (id, @odata.etag, changeKey, the
// timestamps, parentFolderId) are filled on the way out and ignored on the
// way in. Beta-only properties (phones, postalAddresses, websites,
// weddingAnniversary, gender, flag) do not exist here, as in v1.0.
type Contact struct {
	ID                            string             `json:"id,omitempty"`
	ETag                          string             `json:"@odata.etag,omitempty"`
	CreatedDateTime               string             `json:"createdDateTime,omitempty"`
	LastModifiedDateTime          string             `json:"lastModifiedDateTime,omitempty"`
	ChangeKey                     string             `json:"changeKey,omitempty"`
	Categories                    []string           `json:"categories,omitempty"`
	ParentFolderID                string             `json:"parentFolderId,omitempty"`
	Birthday                      string             `json:"birthday,omitempty"` // DateTimeOffset in UTC: "1974-07-22T00:00:00Z"
	FileAs                        string             `json:"fileAs,omitempty"`
	DisplayName                   string             `json:"displayName,omitempty"`
	GivenName                     string             `json:"givenName,omitempty"`
	Initials                      string             `json:"initials,omitempty"`
	MiddleName                    string             `json:"middleName,omitempty"`
	NickName                      string             `json:"nickName,omitempty"`
	Surname                       string             `json:"surname,omitempty"`
	Title                         string             `json:"title,omitempty"`
	YomiGivenName                 string             `json:"yomiGivenName,omitempty"`
	YomiSurname                   string             `json:"yomiSurname,omitempty"`
	YomiCompanyName               string             `json:"yomiCompanyName,omitempty"`
	Generation                    string             `json:"generation,omitempty"`
	IMAddresses                   []string           `json:"imAddresses,omitempty"`
	JobTitle                      string             `json:"jobTitle,omitempty"`
	CompanyName                   string             `json:"companyName,omitempty"`
	Department                    string             `json:"department,omitempty"`
	OfficeLocation                string             `json:"officeLocation,omitempty"`
	Profession                    string             `json:"profession,omitempty"`
	BusinessHomePage              string             `json:"businessHomePage,omitempty"`
	AssistantName                 string             `json:"assistantName,omitempty"`
	Manager                       string             `json:"manager,omitempty"`
	HomePhones                    []string           `json:"homePhones,omitempty"`
	MobilePhone                   string             `json:"mobilePhone,omitempty"`
	BusinessPhones                []string           `json:"businessPhones,omitempty"`
	SpouseName                    string             `json:"spouseName,omitempty"`
	PersonalNotes                 string             `json:"personalNotes,omitempty"`
	Children                      []string           `json:"children,omitempty"`
	EmailAddresses                []EmailAddress     `json:"emailAddresses,omitempty"`
	HomeAddress                   PhysicalAddress    `json:"homeAddress"`
	BusinessAddress               PhysicalAddress    `json:"businessAddress"`
	OtherAddress                  PhysicalAddress    `json:"otherAddress"`
	SingleValueExtendedProperties []ExtendedProperty `json:"singleValueExtendedProperties,omitempty"`
}

// EmailAddress is Graph's emailAddress: a name and an address, no type
// (reference §2.1).
type EmailAddress struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
}

// PhysicalAddress is Graph's physicalAddress (reference §2). An empty one
// is rendered {}, as Graph does.
type PhysicalAddress struct {
	Street          string `json:"street,omitempty"`
	City            string `json:"city,omitempty"`
	State           string `json:"state,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
	CountryOrRegion string `json:"countryOrRegion,omitempty"`
}

// ExtendedProperty is a singleValueLegacyExtendedProperty: an id such as
// "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name Color" and a string
// value.
type ExtendedProperty struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// propKind is the Edm type of a writable contact property.
type propKind int

const (
	kString   propKind = iota
	kStrings           // Collection(Edm.String)
	kEmails            // Collection(microsoft.graph.emailAddress)
	kAddress           // microsoft.graph.physicalAddress
	kBirthday          // Edm.DateTimeOffset
)

// A propDef is one writable property of the contact resource, in the order
// Graph lists them in answers.
type propDef struct {
	name string
	kind propKind
	// nameless renders an empty value as "" instead of null, as Graph does
	// for fileAs and personalNotes.
	nameless bool
	namePart bool // displayName is generated from it
	ptr      func(*Contact) any
}

// contactProps lists the writable v1.0 contact properties (reference §2)
// in Graph's answer order (learn.microsoft.com contact-get example).
func contactProps() []propDef {
	return []propDef{
		{name: "categories", kind: kStrings, ptr: func(c *Contact) any { return &c.Categories }},
		{name: "birthday", kind: kBirthday, ptr: func(c *Contact) any { return &c.Birthday }},
		{name: "fileAs", kind: kString, nameless: true, ptr: func(c *Contact) any { return &c.FileAs }},
		{name: "displayName", kind: kString, ptr: func(c *Contact) any { return &c.DisplayName }},
		{name: "givenName", kind: kString, namePart: true, ptr: func(c *Contact) any { return &c.GivenName }},
		{name: "initials", kind: kString, ptr: func(c *Contact) any { return &c.Initials }},
		{name: "middleName", kind: kString, namePart: true, ptr: func(c *Contact) any { return &c.MiddleName }},
		{name: "nickName", kind: kString, ptr: func(c *Contact) any { return &c.NickName }},
		{name: "surname", kind: kString, namePart: true, ptr: func(c *Contact) any { return &c.Surname }},
		{name: "title", kind: kString, namePart: true, ptr: func(c *Contact) any { return &c.Title }},
		{name: "yomiGivenName", kind: kString, ptr: func(c *Contact) any { return &c.YomiGivenName }},
		{name: "yomiSurname", kind: kString, ptr: func(c *Contact) any { return &c.YomiSurname }},
		{name: "yomiCompanyName", kind: kString, ptr: func(c *Contact) any { return &c.YomiCompanyName }},
		{name: "generation", kind: kString, namePart: true, ptr: func(c *Contact) any { return &c.Generation }},
		{name: "imAddresses", kind: kStrings, ptr: func(c *Contact) any { return &c.IMAddresses }},
		{name: "jobTitle", kind: kString, ptr: func(c *Contact) any { return &c.JobTitle }},
		{name: "companyName", kind: kString, ptr: func(c *Contact) any { return &c.CompanyName }},
		{name: "department", kind: kString, ptr: func(c *Contact) any { return &c.Department }},
		{name: "officeLocation", kind: kString, ptr: func(c *Contact) any { return &c.OfficeLocation }},
		{name: "profession", kind: kString, ptr: func(c *Contact) any { return &c.Profession }},
		{name: "businessHomePage", kind: kString, ptr: func(c *Contact) any { return &c.BusinessHomePage }},
		{name: "assistantName", kind: kString, ptr: func(c *Contact) any { return &c.AssistantName }},
		{name: "manager", kind: kString, ptr: func(c *Contact) any { return &c.Manager }},
		{name: "homePhones", kind: kStrings, ptr: func(c *Contact) any { return &c.HomePhones }},
		{name: "mobilePhone", kind: kString, ptr: func(c *Contact) any { return &c.MobilePhone }},
		{name: "businessPhones", kind: kStrings, ptr: func(c *Contact) any { return &c.BusinessPhones }},
		{name: "spouseName", kind: kString, ptr: func(c *Contact) any { return &c.SpouseName }},
		{name: "personalNotes", kind: kString, nameless: true, ptr: func(c *Contact) any { return &c.PersonalNotes }},
		{name: "children", kind: kStrings, ptr: func(c *Contact) any { return &c.Children }},
		{name: "emailAddresses", kind: kEmails, ptr: func(c *Contact) any { return &c.EmailAddresses }},
		{name: "homeAddress", kind: kAddress, ptr: func(c *Contact) any { return &c.HomeAddress }},
		{name: "businessAddress", kind: kAddress, ptr: func(c *Contact) any { return &c.BusinessAddress }},
		{name: "otherAddress", kind: kAddress, ptr: func(c *Contact) any { return &c.OtherAddress }},
	}
}

// readOnlyProps are contact properties the server sets; in a request body
// they are ignored.
func readOnlyProps() []string {
	return []string{"id", "changeKey", "createdDateTime", "lastModifiedDateTime", "parentFolderId"}
}

// A contactPatch is a decoded POST or PATCH body: the properties present
// and their values.
type contactPatch struct {
	present map[string]bool
	values  Contact
	ext     []ExtendedProperty // singleValueExtendedProperties to upsert
}

func errNoProperty(name, typ string) *graphError {
	return errBodyRead("The property '%s' does not exist on type 'microsoft.graph.%s'. Make sure to only use property names that are defined by the type or mark the type as open type.", name, typ)
}

func errNotString() *graphError {
	return errBodyRead("Cannot convert a primitive value to the expected type 'Edm.String'. See the inner exception for more details.")
}

// decodeContact reads a contact body the way OData does: property names
// are case-sensitive, unknown (and beta-only) ones are refused, values must
// have the property's type, null clears.
func decodeContact(body []byte) (*contactPatch, *graphError) {
	var raw map[string]json.RawMessage
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errBodyRead("An empty payload is not allowed; a request body is required.")
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errBodyRead("Invalid JSON. %v", err)
	}
	p := &contactPatch{present: map[string]bool{}}
	defs := map[string]propDef{}
	for _, d := range contactProps() {
		defs[d.name] = d
	}
	for _, key := range sortedKeys(raw) {
		val := raw[key]
		switch {
		case key == "@odata.type":
			var t string
			if json.Unmarshal(val, &t) != nil || strings.TrimPrefix(t, "#") != "microsoft.graph.contact" {
				return nil, errBodyRead("A type named '%s' could not be resolved by the model.", strings.Trim(string(val), `"`))
			}
			continue
		case strings.HasPrefix(key, "@") || strings.Contains(key, "@odata."):
			continue // instance annotations such as @odata.etag
		case slices.Contains(readOnlyProps(), key):
			continue
		case key == "singleValueExtendedProperties":
			ext, err := decodeExtendedProperties(val)
			if err != nil {
				return nil, err
			}
			p.ext = ext
			continue
		case key == "multiValueExtendedProperties" || key == "extensions":
			return nil, errNotImplemented(key)
		case key == "photo":
			return nil, errBodyRead("The navigation property 'photo' cannot be set in a contact body; use PUT …/photo/$value.")
		}
		d, ok := defs[key]
		if !ok {
			return nil, errNoProperty(key, "contact")
		}
		if err := decodeProp(d, val, &p.values); err != nil {
			return nil, err
		}
		p.present[key] = true
	}
	return p, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func decodeProp(d propDef, val json.RawMessage, c *Contact) *graphError {
	null := isNull(val)
	switch dst := d.ptr(c).(type) {
	case *string:
		if null {
			*dst = ""
			return nil
		}
		var s string
		if json.Unmarshal(val, &s) != nil {
			if d.kind == kBirthday {
				return errBodyRead("Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", string(val))
			}
			return errNotString()
		}
		if d.kind == kBirthday {
			b, ok := normalizeBirthday(s)
			if !ok {
				return errBodyRead("Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", s)
			}
			s = b
		}
		*dst = s
	case *[]string:
		if null {
			*dst = nil
			return nil
		}
		var items []json.RawMessage
		if json.Unmarshal(val, &items) != nil {
			return errBodyRead("An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartArray' node was expected.")
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			var s string
			if isNull(it) || json.Unmarshal(it, &s) != nil {
				return errNotString()
			}
			out = append(out, s)
		}
		*dst = out
	case *[]EmailAddress:
		if null {
			*dst = nil
			return nil
		}
		var items []json.RawMessage
		if json.Unmarshal(val, &items) != nil {
			return errBodyRead("An unexpected 'StartObject' node was found when reading from the JSON reader. A 'StartArray' node was expected.")
		}
		out := make([]EmailAddress, 0, len(items))
		for _, it := range items {
			var e EmailAddress
			if err := decodeStrict(it, "emailAddress", map[string]*string{"name": &e.Name, "address": &e.Address}); err != nil {
				return err
			}
			out = append(out, e)
		}
		*dst = out
	case *PhysicalAddress:
		if null {
			*dst = PhysicalAddress{}
			return nil
		}
		var a PhysicalAddress
		if err := decodeStrict(val, "physicalAddress", map[string]*string{"street": &a.Street, "city": &a.City,
			"state": &a.State, "postalCode": &a.PostalCode, "countryOrRegion": &a.CountryOrRegion}); err != nil {
			return err
		}
		*dst = a
	}
	return nil
}

// decodeStrict reads a complex value whose members are all strings,
// refusing members the type does not have.
func decodeStrict(val json.RawMessage, typ string, fields map[string]*string) *graphError {
	var m map[string]json.RawMessage
	if isNull(val) || json.Unmarshal(val, &m) != nil {
		return errBodyRead("An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node was expected.")
	}
	for _, k := range sortedKeys(m) {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		dst, ok := fields[k]
		if !ok {
			return errNoProperty(k, typ)
		}
		if isNull(m[k]) {
			*dst = ""
			continue
		}
		if json.Unmarshal(m[k], dst) != nil {
			return errNotString()
		}
	}
	return nil
}

// birthdayFormat is how a birthday is stored and returned: a
// DateTimeOffset in UTC (reference §2).
const birthdayFormat = "2006-01-02T15:04:05Z"

// normalizeBirthday accepts a date ("1974-07-22", as the update example
// sends) or a DateTimeOffset, and returns it as UTC. An offset moves the
// instant, and so possibly the date, as Edm.DateTimeOffset does. There are
// no year-less birthdays (reference §2.1 [U]).
func normalizeBirthday(s string) (string, bool) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC().Format(birthdayFormat), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(birthdayFormat), true
		}
	}
	return "", false
}

// generatedDisplayName is the name Outlook files a contact under when no
// displayName is given: the name parts in order (reference §1, [U] as to
// the exact format).
func generatedDisplayName(c *Contact) string {
	var parts []string
	for _, p := range []string{c.Title, c.GivenName, c.MiddleName, c.Surname, c.Generation} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// capContact enforces the Outlook slots (reference §2.1, §10.6 [U]):
// values past a cap are dropped, or refused with Caps.Reject.
func capContact(caps Caps, c *Contact) *graphError {
	check := func(name string, n, limit int) (int, *graphError) {
		if limit < 0 || n <= limit {
			return n, nil
		}
		if caps.Reject {
			return 0, errBadRequest("A contact holds at most %d %s; %d were sent.", limit, name, n)
		}
		return limit, nil
	}
	n, err := check("emailAddresses", len(c.EmailAddresses), caps.Emails)
	if err != nil {
		return err
	}
	c.EmailAddresses = c.EmailAddresses[:n]
	if n, err = check("businessPhones", len(c.BusinessPhones), caps.BusinessPhones); err != nil {
		return err
	}
	c.BusinessPhones = c.BusinessPhones[:n]
	if n, err = check("homePhones", len(c.HomePhones), caps.HomePhones); err != nil {
		return err
	}
	c.HomePhones = c.HomePhones[:n]
	return nil
}

// copyProp sets property d of dst to its value in src.
func copyProp(d propDef, dst, src *Contact) {
	switch p := d.ptr(dst).(type) {
	case *string:
		*p = *d.ptr(src).(*string)
	case *[]string:
		*p = slices.Clone(*d.ptr(src).(*[]string))
	case *[]EmailAddress:
		*p = slices.Clone(*d.ptr(src).(*[]EmailAddress))
	case *PhysicalAddress:
		*p = *d.ptr(src).(*PhysicalAddress)
	}
}

// cloneContact deep-copies c.
func cloneContact(c *Contact) *Contact {
	out := *c
	out.Categories = slices.Clone(c.Categories)
	out.IMAddresses = slices.Clone(c.IMAddresses)
	out.HomePhones = slices.Clone(c.HomePhones)
	out.BusinessPhones = slices.Clone(c.BusinessPhones)
	out.Children = slices.Clone(c.Children)
	out.EmailAddresses = slices.Clone(c.EmailAddresses)
	out.SingleValueExtendedProperties = slices.Clone(c.SingleValueExtendedProperties)
	return &out
}

// storedCopy is what the fake keeps of a contact given to User.Put: the
// writable fields, normalised as an API write would normalise them.
func storedCopy(c *Contact) *Contact {
	out := cloneContact(c)
	out.ID, out.ETag, out.CreatedDateTime, out.LastModifiedDateTime, out.ChangeKey, out.ParentFolderID = "", "", "", "", "", ""
	if b, ok := normalizeBirthday(out.Birthday); ok {
		out.Birthday = b
	}
	return out
}

// renderProps appends the writable properties of c to o, as Graph writes
// them: null for an empty string ("" for fileAs and personalNotes), [] for
// an empty collection, {} for an empty address. keep filters by name.
func renderProps(o object, c *Contact, keep func(string) bool) object {
	for _, d := range contactProps() {
		if !keep(d.name) {
			continue
		}
		var v any
		switch p := d.ptr(c).(type) {
		case *string:
			switch {
			case *p != "":
				v = *p
			case d.nameless:
				v = ""
			}
		case *[]string:
			v = nonNil(*p)
		case *[]EmailAddress:
			v = nonNil(*p)
		case *PhysicalAddress:
			v = *p
		}
		o = append(o, member{d.name, v})
	}
	return o
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Extended property ids (learn.microsoft.com extended-properties-overview):
// "{type} {proptag}", "{type} {guid} Name {name}", "{type} {guid} Id {id}".
func extTypes() []string {
	return []string{"Binary", "Boolean", "Currency", "CLSID", "Double", "Float", "Integer", "Long", "Object", "Short", "SystemTime", "String"}
}

// extKey normalises an extended property id for comparison: the type,
// GUID, tag and keywords are case-insensitive, the Name is not (as
// filtering on it is case-sensitive). ok is false for a malformed id.
func extKey(id string) (key, typ string, ok bool) {
	fields := strings.SplitN(strings.TrimSpace(id), " ", 4)
	if len(fields) < 2 {
		return "", "", false
	}
	types := extTypes()
	i := slices.IndexFunc(types, func(t string) bool { return strings.EqualFold(t, fields[0]) })
	if i < 0 {
		return "", "", false
	}
	typ = types[i]
	if len(fields) == 2 {
		tag, ok := parseHex(fields[1])
		if !ok || tag > 0xffff {
			return "", "", false
		}
		return fmt.Sprintf("%s 0x%04x", strings.ToLower(typ), tag), typ, true
	}
	guid := fields[1]
	if len(fields) != 4 || len(guid) != 38 || guid[0] != '{' || guid[37] != '}' || fields[3] == "" {
		return "", "", false
	}
	for j, r := range guid[1:37] {
		dash := j == 8 || j == 13 || j == 18 || j == 23
		if dash != (r == '-') || (!dash && !strings.ContainsRune("0123456789abcdefABCDEF", r)) {
			return "", "", false
		}
	}
	switch {
	case strings.EqualFold(fields[2], "Name"):
		return strings.ToLower(typ+" "+guid) + " name " + fields[3], typ, true
	case strings.EqualFold(fields[2], "Id"):
		n, ok := parseHex(fields[3])
		if !ok {
			d, err := strconv.ParseUint(fields[3], 10, 32)
			if err != nil {
				return "", "", false
			}
			n = d
		}
		return fmt.Sprintf("%s id 0x%x", strings.ToLower(typ+" "+guid), n), typ, true
	}
	return "", "", false
}

func parseHex(s string) (uint64, bool) {
	if len(s) < 3 || (s[:2] != "0x" && s[:2] != "0X") {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:], 16, 32)
	return n, err == nil
}

// decodeExtendedProperties reads singleValueExtendedProperties from a body:
// an array of {"id", "value"} with string values that fit the type.
func decodeExtendedProperties(val json.RawMessage) ([]ExtendedProperty, *graphError) {
	var items []json.RawMessage
	if json.Unmarshal(val, &items) != nil {
		return nil, errBodyRead("An unexpected 'StartObject' node was found when reading from the JSON reader. A 'StartArray' node was expected.")
	}
	var out []ExtendedProperty
	for _, it := range items {
		var p ExtendedProperty
		var id, value string
		if err := decodeStrict(it, "singleValueLegacyExtendedProperty", map[string]*string{"id": &id, "value": &value}); err != nil {
			return nil, err
		}
		p.ID, p.Value = id, value
		_, typ, ok := extKey(p.ID)
		if !ok {
			return nil, errBadRequest("The extended property id '%s' is not valid. Use \"{type} {proptag}\", \"{type} {guid} Name {name}\" or \"{type} {guid} Id {id}\".", p.ID)
		}
		if !extValueFits(typ, p.Value) {
			return nil, errBadRequest("The value '%s' is not valid for an extended property of type %s.", p.Value, typ)
		}
		out = append(out, p)
	}
	return out, nil
}

func extValueFits(typ, v string) bool {
	switch typ {
	case "Integer", "Short", "Long":
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	case "Boolean":
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case "SystemTime":
		_, err := time.Parse(time.RFC3339Nano, v)
		return err == nil
	case "Double", "Float", "Currency":
		_, err := strconv.ParseFloat(v, 64)
		return err == nil
	}
	return true
}

// upsertExtended sets each property of add on list, replacing one with the
// same id (compared as extKey does).
func upsertExtended(list, add []ExtendedProperty) []ExtendedProperty {
	out := slices.Clone(list)
	for _, p := range add {
		k, _, _ := extKey(p.ID)
		i := slices.IndexFunc(out, func(q ExtendedProperty) bool { qk, _, _ := extKey(q.ID); return qk == k })
		if i >= 0 {
			out[i].Value = p.Value
		} else {
			out = append(out, p)
		}
	}
	return out
}
