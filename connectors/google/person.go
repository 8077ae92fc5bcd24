package google

// The types below are the People API v1 resources the connector reads and
// writes, spelled as the discovery document (people/v1, revision 20251117)
// spells them. Every field is optional on the wire, so slices and pointers
// carry omitempty: a Person built by fromCard marshals to exactly the fields
// it sets. Fields the API marks output only are kept for reading; the API
// ignores them in request bodies, except photos, which only
// updateContactPhoto can change.

// A Person is one contact (people/{id}). Only the CONTACT source matters to
// the bridge: the connector lists with sources=READ_SOURCE_TYPE_CONTACT, and
// toCard skips items another source (a Google profile) contributed.
type Person struct {
	// ResourceName is "people/{person_id}", assigned by the server.
	ResourceName string `json:"resourceName,omitempty"`
	// Etag is the person's version; updates must send it back.
	Etag string `json:"etag,omitempty"`
	// Metadata is output only, except the sources (with their etags) an
	// update sends back.
	Metadata *PersonMetadata `json:"metadata,omitempty"`

	// Names, Birthdays, Biographies and Genders hold one item for a
	// contact (a second one is refused with 400).
	Names          []Name         `json:"names,omitempty"`
	Nicknames      []Nickname     `json:"nicknames,omitempty"`
	EmailAddresses []EmailAddress `json:"emailAddresses,omitempty"`
	PhoneNumbers   []PhoneNumber  `json:"phoneNumbers,omitempty"`
	Addresses      []Address      `json:"addresses,omitempty"`
	Organizations  []Organization `json:"organizations,omitempty"`
	Birthdays      []Birthday     `json:"birthdays,omitempty"`
	Events         []Event        `json:"events,omitempty"`
	URLs           []URL          `json:"urls,omitempty"`
	Biographies    []Biography    `json:"biographies,omitempty"`
	Relations      []Relation     `json:"relations,omitempty"`
	IMClients      []IMClient     `json:"imClients,omitempty"`
	SIPAddresses   []SIPAddress   `json:"sipAddresses,omitempty"`
	UserDefined    []UserDefined  `json:"userDefined,omitempty"`
	ExternalIDs    []ExternalID   `json:"externalIds,omitempty"`
	Genders        []Gender       `json:"genders,omitempty"`
	CalendarURLs   []CalendarURL  `json:"calendarUrls,omitempty"`
	Locales        []Locale       `json:"locales,omitempty"`
	Interests      []Interest     `json:"interests,omitempty"`
	// Skills can be read but not written by updateContact (not a valid
	// updatePersonFields value), so the mapping leaves them alone.
	Skills       []Skill       `json:"skills,omitempty"`
	Occupations  []Occupation  `json:"occupations,omitempty"`
	Locations    []Location    `json:"locations,omitempty"`
	MiscKeywords []MiscKeyword `json:"miscKeywords,omitempty"`
	// FileAses is neither a valid personFields nor updatePersonFields value
	// in revision 20251117: it is never returned, so never mapped.
	FileAses []FileAs `json:"fileAses,omitempty"`
	// Photos is output only; updateContactPhoto and deleteContactPhoto
	// change it. fromCard puts the photo the card wants here (a data: URI or
	// a URL) for the connector to upload; it must not be sent in a
	// create or update body.
	Photos      []Photo      `json:"photos,omitempty"`
	Memberships []Membership `json:"memberships,omitempty"`
	ClientData  []ClientData `json:"clientData,omitempty"`
}

// PersonMetadata is a person's metadata. All of it is output only, except
// Sources, whose etags an update sends back.
type PersonMetadata struct {
	Sources []Source `json:"sources,omitempty"`
	// PreviousResourceNames lists former resource names of this person;
	// only sync-token listings fill it. The connector maps them onto the
	// stored link, or a re-keyed person looks like a delete and a create.
	PreviousResourceNames     []string `json:"previousResourceNames,omitempty"`
	LinkedPeopleResourceNames []string `json:"linkedPeopleResourceNames,omitempty"`
	// Deleted marks a tombstone in a sync-token listing.
	Deleted bool `json:"deleted,omitempty"`
}

// Source is where a person or a field comes from.
type Source struct {
	// Type is CONTACT for the user's own contacts; also ACCOUNT, PROFILE,
	// DOMAIN_PROFILE, OTHER_CONTACT, DOMAIN_CONTACT.
	Type string `json:"type,omitempty"`
	ID   string `json:"id,omitempty"`
	// Etag and UpdateTime are set in person.metadata.sources only.
	Etag            string           `json:"etag,omitempty"`
	UpdateTime      string           `json:"updateTime,omitempty"`
	ProfileMetadata *ProfileMetadata `json:"profileMetadata,omitempty"`
}

// ProfileMetadata describes a PROFILE source (output only).
type ProfileMetadata struct {
	ObjectType string   `json:"objectType,omitempty"`
	UserTypes  []string `json:"userTypes,omitempty"`
}

// FieldMetadata is the metadata of one field item.
type FieldMetadata struct {
	// Primary (output only) marks the person's primary item of a field.
	Primary bool `json:"primary,omitempty"`
	// SourcePrimary marks the source's primary item; it is what a client
	// can set.
	SourcePrimary bool    `json:"sourcePrimary,omitempty"`
	Verified      bool    `json:"verified,omitempty"`
	Source        *Source `json:"source,omitempty"`
}

// Name is a person's name.
type Name struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// DisplayName and DisplayNameLastFirst are output only, formatted in
	// the viewer's locale.
	DisplayName          string `json:"displayName,omitempty"`
	DisplayNameLastFirst string `json:"displayNameLastFirst,omitempty"`
	UnstructuredName     string `json:"unstructuredName,omitempty"`
	FamilyName           string `json:"familyName,omitempty"`
	GivenName            string `json:"givenName,omitempty"`
	MiddleName           string `json:"middleName,omitempty"`
	HonorificPrefix      string `json:"honorificPrefix,omitempty"`
	HonorificSuffix      string `json:"honorificSuffix,omitempty"`

	PhoneticFullName        string `json:"phoneticFullName,omitempty"`
	PhoneticFamilyName      string `json:"phoneticFamilyName,omitempty"`
	PhoneticGivenName       string `json:"phoneticGivenName,omitempty"`
	PhoneticMiddleName      string `json:"phoneticMiddleName,omitempty"`
	PhoneticHonorificPrefix string `json:"phoneticHonorificPrefix,omitempty"`
	PhoneticHonorificSuffix string `json:"phoneticHonorificSuffix,omitempty"`
}

// Nickname is one nickname. Type is DEFAULT, MAIDEN_NAME, INITIALS, GPLUS,
// OTHER_NAME, ALTERNATE_NAME or SHORT_NAME.
type Nickname struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
	Type     string         `json:"type,omitempty"`
}

// EmailAddress is one e-mail address. Type is home, work, other or custom
// text; FormattedType is output only.
type EmailAddress struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
	DisplayName   string         `json:"displayName,omitempty"`
}

// PhoneNumber is one phone number. Type is home, work, mobile, homeFax,
// workFax, otherFax, pager, workMobile, workPager, main, googleVoice, other
// or custom text; CanonicalForm (E.164) and FormattedType are output only.
type PhoneNumber struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	CanonicalForm string         `json:"canonicalForm,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// Address is one postal address. Type is home, work, other or custom text.
// FormattedValue is built by the server from the structured fields unless
// the client sets it.
type Address struct {
	Metadata        *FieldMetadata `json:"metadata,omitempty"`
	FormattedValue  string         `json:"formattedValue,omitempty"`
	Type            string         `json:"type,omitempty"`
	FormattedType   string         `json:"formattedType,omitempty"`
	POBox           string         `json:"poBox,omitempty"`
	StreetAddress   string         `json:"streetAddress,omitempty"`
	ExtendedAddress string         `json:"extendedAddress,omitempty"`
	City            string         `json:"city,omitempty"`
	Region          string         `json:"region,omitempty"`
	PostalCode      string         `json:"postalCode,omitempty"`
	Country         string         `json:"country,omitempty"`
	CountryCode     string         `json:"countryCode,omitempty"`
}

// Organization is a past or current organization. Type is work, school or
// custom text.
type Organization struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
	StartDate     *Date          `json:"startDate,omitempty"`
	EndDate       *Date          `json:"endDate,omitempty"`
	// Current is a pointer so that "not said" and false stay apart.
	Current                        *bool  `json:"current,omitempty"`
	Name                           string `json:"name,omitempty"`
	PhoneticName                   string `json:"phoneticName,omitempty"`
	Department                     string `json:"department,omitempty"`
	Title                          string `json:"title,omitempty"`
	JobDescription                 string `json:"jobDescription,omitempty"`
	Symbol                         string `json:"symbol,omitempty"`
	Domain                         string `json:"domain,omitempty"`
	Location                       string `json:"location,omitempty"`
	CostCenter                     string `json:"costCenter,omitempty"`
	FullTimeEquivalentMillipercent int    `json:"fullTimeEquivalentMillipercent,omitempty"`
}

// Date is a whole or partial calendar date; 0 means "not set" in each field
// (a birthday without a year has Year 0).
type Date struct {
	Year  int `json:"year,omitempty"`
	Month int `json:"month,omitempty"`
	Day   int `json:"day,omitempty"`
}

// Birthday is a person's birthday: a structured Date, free Text, or both.
// Google asks clients to always set Date when writing.
type Birthday struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Date     *Date          `json:"date,omitempty"`
	Text     string         `json:"text,omitempty"`
}

// Event is a dated event. Type is anniversary, other or custom text.
type Event struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Date          *Date          `json:"date,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// URL is one web address. Type is home, work, blog, profile, homePage, ftp,
// reservations, appInstallPage, other or custom text.
type URL struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// Biography is the contact's note. ContentType is TEXT_PLAIN or TEXT_HTML.
type Biography struct {
	Metadata    *FieldMetadata `json:"metadata,omitempty"`
	Value       string         `json:"value,omitempty"`
	ContentType string         `json:"contentType,omitempty"`
}

// Relation names another person (free text) and how they relate. Type is
// spouse, child, mother, father, parent, brother, sister, friend, relative,
// domesticPartner, manager, assistant, referredBy, partner or custom text.
type Relation struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Person        string         `json:"person,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// IMClient is an instant-messaging account. Protocol is aim, msn, yahoo,
// skype, qq, googleTalk, icq, jabber, netMeeting or custom text; Type is
// home, work, other or custom text.
type IMClient struct {
	Metadata          *FieldMetadata `json:"metadata,omitempty"`
	Username          string         `json:"username,omitempty"`
	Type              string         `json:"type,omitempty"`
	FormattedType     string         `json:"formattedType,omitempty"`
	Protocol          string         `json:"protocol,omitempty"`
	FormattedProtocol string         `json:"formattedProtocol,omitempty"`
}

// SIPAddress is a SIP URI (RFC 3261). Type is home, work, mobile, other or
// custom text.
type SIPAddress struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// UserDefined is a custom field the user labelled.
type UserDefined struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Key      string         `json:"key,omitempty"`
	Value    string         `json:"value,omitempty"`
}

// ExternalID is an identifier from another system. Type is account,
// customer, loginId, network, organization or custom text.
type ExternalID struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// Gender is a person's gender: male, female, unspecified or custom text,
// and the pronouns to use (AddressMeAs).
type Gender struct {
	Metadata       *FieldMetadata `json:"metadata,omitempty"`
	Value          string         `json:"value,omitempty"`
	FormattedValue string         `json:"formattedValue,omitempty"`
	AddressMeAs    string         `json:"addressMeAs,omitempty"`
}

// CalendarURL is a calendar address. Type is home, freeBusy, work or custom
// text.
type CalendarURL struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	URL           string         `json:"url,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// Locale is a preferred language (BCP 47).
type Locale struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
}

// Interest is one interest.
type Interest struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
}

// Skill is one skill.
type Skill struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
}

// Occupation is one occupation.
type Occupation struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
}

// Location is a place (a desk, where someone grew up). Type is desk, grewUp
// or custom text.
type Location struct {
	Metadata     *FieldMetadata `json:"metadata,omitempty"`
	Value        string         `json:"value,omitempty"`
	Type         string         `json:"type,omitempty"`
	Current      *bool          `json:"current,omitempty"`
	BuildingID   string         `json:"buildingId,omitempty"`
	Floor        string         `json:"floor,omitempty"`
	FloorSection string         `json:"floorSection,omitempty"`
	DeskCode     string         `json:"deskCode,omitempty"`
}

// MiscKeyword is a keyword; Type is one of OUTLOOK_BILLING_INFORMATION,
// OUTLOOK_DIRECTORY_SERVER, OUTLOOK_KEYWORD, OUTLOOK_MILEAGE,
// OUTLOOK_PRIORITY, OUTLOOK_SENSITIVITY, OUTLOOK_SUBJECT, OUTLOOK_USER, HOME,
// WORK, OTHER.
type MiscKeyword struct {
	Metadata      *FieldMetadata `json:"metadata,omitempty"`
	Value         string         `json:"value,omitempty"`
	Type          string         `json:"type,omitempty"`
	FormattedType string         `json:"formattedType,omitempty"`
}

// FileAs is the name to sort a person by.
type FileAs struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Value    string         `json:"value,omitempty"`
}

// Photo is a contact photo. Default marks Google's generated letter
// avatar, which is never synced. URL takes a size suffix (?sz=N).
type Photo struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	URL      string         `json:"url,omitempty"`
	Default  bool           `json:"default,omitempty"`
}

// Membership is a person's membership of a contact group (or, output only,
// of a Workspace domain).
type Membership struct {
	Metadata               *FieldMetadata          `json:"metadata,omitempty"`
	ContactGroupMembership *ContactGroupMembership `json:"contactGroupMembership,omitempty"`
	DomainMembership       *DomainMembership       `json:"domainMembership,omitempty"`
}

// ContactGroupMembership names the group by resource name
// ("contactGroups/{id}"); ContactGroupID is output only.
type ContactGroupMembership struct {
	ContactGroupID           string `json:"contactGroupId,omitempty"`
	ContactGroupResourceName string `json:"contactGroupResourceName,omitempty"`
}

// DomainMembership is output only.
type DomainMembership struct {
	InViewerDomain bool `json:"inViewerDomain,omitempty"`
}

// ClientData is a key and value a client stores on a person, invisible in
// Google's user interface. Duplicate keys are allowed.
type ClientData struct {
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	Key      string         `json:"key,omitempty"`
	Value    string         `json:"value,omitempty"`
}

// ContactGroup is a label ("contactGroups/{id}"): a user group, or one of
// the system groups (myContacts, starred, and deprecated ones).
type ContactGroup struct {
	ResourceName string                `json:"resourceName,omitempty"`
	Etag         string                `json:"etag,omitempty"`
	Metadata     *ContactGroupMetadata `json:"metadata,omitempty"`
	// GroupType is USER_CONTACT_GROUP or SYSTEM_CONTACT_GROUP (output only).
	GroupType string `json:"groupType,omitempty"`
	// Name is unique among the user's groups (a duplicate is refused with
	// 409); FormattedName is the name localised for system groups.
	Name                string            `json:"name,omitempty"`
	FormattedName       string            `json:"formattedName,omitempty"`
	MemberResourceNames []string          `json:"memberResourceNames,omitempty"`
	MemberCount         int               `json:"memberCount,omitempty"`
	ClientData          []GroupClientData `json:"clientData,omitempty"`
}

// ContactGroupMetadata is output only; Deleted is set in sync-token
// listings.
type ContactGroupMetadata struct {
	UpdateTime string `json:"updateTime,omitempty"`
	Deleted    bool   `json:"deleted,omitempty"`
}

// GroupClientData is client data on a contact group.
type GroupClientData struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// Group types (ContactGroup.GroupType).
const (
	UserContactGroup   = "USER_CONTACT_GROUP"
	SystemContactGroup = "SYSTEM_CONTACT_GROUP"
)
