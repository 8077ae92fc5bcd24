package googletest

// The wire types below follow the schemas of the People API discovery document
// (people/v1/people-api.json, revision 20251117): every JSON name, nesting and
// scalar type is the document's, so a client that misspells a field or sends
// the wrong type is refused here as Google refuses it. The people struct tag
// marks what the document calls output only ("ro": ignored on input, filled by
// the server) and the enum values a field accepts.

// Person is the People API Person message: information about a person merged from various data sources such as the authenticated user's contacts and profile data.
type Person struct {
	// The person's street addresses.
	Addresses []Address `json:"addresses,omitempty"`
	// Output only. (Deprecated by Google.) (Please use person.ageRanges instead) The person's
	// age range.
	AgeRange string `json:"ageRange,omitempty" people:"ro,enum=AGE_RANGE_UNSPECIFIED|LESS_THAN_EIGHTEEN|EIGHTEEN_TO_TWENTY|TWENTY_ONE_OR_OLDER"`
	// Output only. The person's age ranges.
	AgeRanges []AgeRangeType `json:"ageRanges,omitempty" people:"ro"`
	// The person's biographies. This field is a singleton for contact sources.
	Biographies []Biography `json:"biographies,omitempty"`
	// The person's birthdays. This field is a singleton for contact sources.
	Birthdays []Birthday `json:"birthdays,omitempty"`
	// (Deprecated by Google.) No data will be returned The person's bragging rights.
	BraggingRights []BraggingRights `json:"braggingRights,omitempty"`
	// The person's calendar URLs.
	CalendarURLs []CalendarURL `json:"calendarUrls,omitempty"`
	// The person's client data.
	ClientData []ClientData `json:"clientData,omitempty"`
	// Output only. The person's cover photos.
	CoverPhotos []CoverPhoto `json:"coverPhotos,omitempty" people:"ro"`
	// The person's email addresses. For people.connections.list and otherContacts.list the
	// number of email addresses is limited to 100.
	EmailAddresses []EmailAddress `json:"emailAddresses,omitempty"`
	// The [HTTP entity tag](https://en.wikipedia.org/wiki/HTTP_ETag) of the resource.
	ETag string `json:"etag,omitempty"`
	// The person's events.
	Events []Event `json:"events,omitempty"`
	// The person's external IDs.
	ExternalIDs []ExternalID `json:"externalIds,omitempty"`
	// The person's file-ases.
	FileAses []FileAs `json:"fileAses,omitempty"`
	// The person's genders. This field is a singleton for contact sources.
	Genders []Gender `json:"genders,omitempty"`
	// The person's instant messaging clients.
	IMClients []IMClient `json:"imClients,omitempty"`
	// The person's interests.
	Interests []Interest `json:"interests,omitempty"`
	// The person's locale preferences.
	Locales []Locale `json:"locales,omitempty"`
	// The person's locations.
	Locations []Location `json:"locations,omitempty"`
	// The person's group memberships.
	Memberships []Membership `json:"memberships,omitempty"`
	// Output only. Metadata about the person.
	Metadata *PersonMetadata `json:"metadata,omitempty" people:"ro"`
	// The person's miscellaneous keywords.
	MiscKeywords []MiscKeyword `json:"miscKeywords,omitempty"`
	// The person's names. This field is a singleton for contact sources.
	Names []Name `json:"names,omitempty"`
	// The person's nicknames.
	Nicknames []Nickname `json:"nicknames,omitempty"`
	// The person's occupations.
	Occupations []Occupation `json:"occupations,omitempty"`
	// The person's past or current organizations.
	Organizations []Organization `json:"organizations,omitempty"`
	// The person's phone numbers. For people.connections.list and otherContacts.list the number
	// of phone numbers is limited to 100.
	PhoneNumbers []PhoneNumber `json:"phoneNumbers,omitempty"`
	// Output only. The person's photos.
	Photos []Photo `json:"photos,omitempty" people:"ro"`
	// The person's relations.
	Relations []Relation `json:"relations,omitempty"`
	// Output only. (Deprecated by Google.) No data will be returned The person's relationship
	// interests.
	RelationshipInterests []RelationshipInterest `json:"relationshipInterests,omitempty" people:"ro"`
	// Output only. (Deprecated by Google.) No data will be returned The person's relationship
	// statuses.
	RelationshipStatuses []RelationshipStatus `json:"relationshipStatuses,omitempty" people:"ro"`
	// (Deprecated by Google.) (Please use person.locations instead) The person's residences.
	Residences []Residence `json:"residences,omitempty"`
	// The resource name for the person, assigned by the server.
	ResourceName string `json:"resourceName,omitempty"`
	// The person's SIP addresses.
	SIPAddresses []SIPAddress `json:"sipAddresses,omitempty"`
	// The person's skills.
	Skills []Skill `json:"skills,omitempty"`
	// Output only. (Deprecated by Google.) No data will be returned The person's taglines.
	Taglines []Tagline `json:"taglines,omitempty" people:"ro"`
	// The person's associated URLs.
	URLs []URL `json:"urls,omitempty"`
	// The person's user defined data.
	UserDefined []UserDefined `json:"userDefined,omitempty"`
}

// Group is the People API ContactGroup message: a contact group.
type Group struct {
	// The group's client data.
	ClientData []GroupClientData `json:"clientData,omitempty"`
	// The [HTTP entity tag](https://en.wikipedia.org/wiki/HTTP_ETag) of the resource.
	ETag string `json:"etag,omitempty"`
	// Output only. The name translated and formatted in the viewer's account locale or the
	// Accept-Language HTTP header locale for system groups names.
	FormattedName string `json:"formattedName,omitempty" people:"ro"`
	// Output only. The contact group type.
	GroupType string `json:"groupType,omitempty" people:"ro,enum=GROUP_TYPE_UNSPECIFIED|USER_CONTACT_GROUP|SYSTEM_CONTACT_GROUP"`
	// Output only. The total number of contacts in the group irrespective of max members in
	// specified in the request.
	MemberCount int32 `json:"memberCount,omitempty" people:"ro"`
	// Output only. The list of contact person resource names that are members of the contact
	// group.
	MemberResourceNames []string `json:"memberResourceNames,omitempty" people:"ro"`
	// Output only. Metadata about the contact group.
	Metadata *GroupMetadata `json:"metadata,omitempty" people:"ro"`
	// The contact group name set by the group owner or a system provided name for system groups.
	Name string `json:"name,omitempty"`
	// The resource name for the contact group, assigned by the server.
	ResourceName string `json:"resourceName,omitempty"`
}

// Address is the People API Address message: a person's physical address, which may be a P.O. box or a street address.
type Address struct {
	// The city of the address.
	City string `json:"city,omitempty"`
	// The country of the address.
	Country string `json:"country,omitempty"`
	// The [ISO 3166-1 alpha-2](http://www.iso.org/iso/country_codes.htm) country code of the
	// address.
	CountryCode string `json:"countryCode,omitempty"`
	// The extended address of the address; for example, the apartment number.
	ExtendedAddress string `json:"extendedAddress,omitempty"`
	// Output only. The type of the address translated and formatted in the viewer's account
	// locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// The unstructured value of the address.
	FormattedValue string `json:"formattedValue,omitempty"`
	// Metadata about the address.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The P.O. box of the address.
	PoBox string `json:"poBox,omitempty"`
	// The postal code of the address.
	PostalCode string `json:"postalCode,omitempty"`
	// The region of the address; for example, the state or province.
	Region string `json:"region,omitempty"`
	// The street address.
	StreetAddress string `json:"streetAddress,omitempty"`
	// The type of the address.
	Type string `json:"type,omitempty"`
}

// AgeRangeType is the People API AgeRangeType message: a person's age range.
type AgeRangeType struct {
	// The age range.
	AgeRange string `json:"ageRange,omitempty" people:"enum=AGE_RANGE_UNSPECIFIED|LESS_THAN_EIGHTEEN|EIGHTEEN_TO_TWENTY|TWENTY_ONE_OR_OLDER"`
	// Metadata about the age range.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
}

// Biography is the People API Biography message: a person's short biography.
type Biography struct {
	// The content type of the biography.
	ContentType string `json:"contentType,omitempty" people:"enum=CONTENT_TYPE_UNSPECIFIED|TEXT_PLAIN|TEXT_HTML"`
	// Metadata about the biography.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The short biography.
	Value string `json:"value,omitempty"`
}

// Birthday is the People API Birthday message: a person's birthday. At least one of the date and text fields are specified.
type Birthday struct {
	// The structured date of the birthday.
	Date *Date `json:"date,omitempty"`
	// Metadata about the birthday.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// Prefer to use the date field if set.
	Text string `json:"text,omitempty"`
}

// BraggingRights is the People API BraggingRights message: (Deprecated by Google.) No data will be returned A person's bragging rights.
type BraggingRights struct {
	// Metadata about the bragging rights.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The bragging rights; for example, climbed mount everest.
	Value string `json:"value,omitempty"`
}

// CalendarURL is the People API CalendarUrl message: a person's calendar URL.
type CalendarURL struct {
	// Output only. The type of the calendar URL translated and formatted in the viewer's account
	// locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the calendar URL.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the calendar URL.
	Type string `json:"type,omitempty"`
	// The calendar URL.
	URL string `json:"url,omitempty"`
}

// ClientData is the People API ClientData message: arbitrary client data that is populated by clients.
type ClientData struct {
	// The client specified key of the client data.
	Key string `json:"key,omitempty"`
	// Metadata about the client data.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The client specified value of the client data.
	Value string `json:"value,omitempty"`
}

// CoverPhoto is the People API CoverPhoto message: a person's cover photo. A large image shown on the person's profile page that represents who they are or what they care about.
type CoverPhoto struct {
	// True if the cover photo is the default cover photo; false if the cover photo is a user-
	// provided cover photo.
	Default bool `json:"default,omitempty"`
	// Metadata about the cover photo.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The URL of the cover photo.
	URL string `json:"url,omitempty"`
}

// EmailAddress is the People API EmailAddress message: a person's email address.
type EmailAddress struct {
	// The display name of the email.
	DisplayName string `json:"displayName,omitempty"`
	// Output only. The type of the email address translated and formatted in the viewer's
	// account locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the email address.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the email address.
	Type string `json:"type,omitempty"`
	// The email address.
	Value string `json:"value,omitempty"`
}

// Event is the People API Event message: an event related to the person.
type Event struct {
	// The date of the event.
	Date *Date `json:"date,omitempty"`
	// Output only. The type of the event translated and formatted in the viewer's account locale
	// or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the event.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the event.
	Type string `json:"type,omitempty"`
}

// ExternalID is the People API ExternalId message: an identifier from an external entity related to the person.
type ExternalID struct {
	// Output only. The type of the event translated and formatted in the viewer's account locale
	// or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the external ID.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the external ID.
	Type string `json:"type,omitempty"`
	// The value of the external ID.
	Value string `json:"value,omitempty"`
}

// FileAs is the People API FileAs message: the name that should be used to sort the person in a list.
type FileAs struct {
	// Metadata about the file-as.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The file-as value
	Value string `json:"value,omitempty"`
}

// Gender is the People API Gender message: a person's gender.
type Gender struct {
	// Free form text field for pronouns that should be used to address the person.
	AddressMeAs string `json:"addressMeAs,omitempty"`
	// Output only. The value of the gender translated and formatted in the viewer's account
	// locale or the Accept-Language HTTP header locale.
	FormattedValue string `json:"formattedValue,omitempty" people:"ro"`
	// Metadata about the gender.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The gender for the person.
	Value string `json:"value,omitempty"`
}

// IMClient is the People API ImClient message: a person's instant messaging client.
type IMClient struct {
	// Output only. The protocol of the IM client formatted in the viewer's account locale or the
	// Accept-Language HTTP header locale.
	FormattedProtocol string `json:"formattedProtocol,omitempty" people:"ro"`
	// Output only. The type of the IM client translated and formatted in the viewer's account
	// locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the IM client.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The protocol of the IM client.
	Protocol string `json:"protocol,omitempty"`
	// The type of the IM client.
	Type string `json:"type,omitempty"`
	// The user name used in the IM client.
	Username string `json:"username,omitempty"`
}

// Interest is the People API Interest message: one of the person's interests.
type Interest struct {
	// Metadata about the interest.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The interest; for example, stargazing.
	Value string `json:"value,omitempty"`
}

// Locale is the People API Locale message: a person's locale preference.
type Locale struct {
	// Metadata about the locale.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The well-formed [IETF BCP 47](https://tools.ietf.org/html/bcp47) language tag representing
	// the locale.
	Value string `json:"value,omitempty"`
}

// Location is the People API Location message: a person's location.
type Location struct {
	// The building identifier.
	BuildingID string `json:"buildingId,omitempty"`
	// Whether the location is the current location.
	Current bool `json:"current,omitempty"`
	// The individual desk location.
	DeskCode string `json:"deskCode,omitempty"`
	// The floor name or number.
	Floor string `json:"floor,omitempty"`
	// The floor section in floor_name.
	FloorSection string `json:"floorSection,omitempty"`
	// Metadata about the location.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the location.
	Type string `json:"type,omitempty"`
	// The free-form value of the location.
	Value string `json:"value,omitempty"`
}

// Membership is the People API Membership message: a person's membership in a group.
type Membership struct {
	// The contact group membership.
	ContactGroupMembership *ContactGroupMembership `json:"contactGroupMembership,omitempty"`
	// Output only. The domain membership.
	DomainMembership *DomainMembership `json:"domainMembership,omitempty" people:"ro"`
	// Metadata about the membership.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
}

// PersonMetadata is the People API PersonMetadata message: the metadata about a person.
type PersonMetadata struct {
	// Output only. True if the person resource has been deleted.
	Deleted bool `json:"deleted,omitempty" people:"ro"`
	// Output only. Resource names of people linked to this resource.
	LinkedPeopleResourceNames []string `json:"linkedPeopleResourceNames,omitempty" people:"ro"`
	// Output only. (Deprecated by Google.) (Please use
	// person.metadata.sources.profileMetadata.objectType instead) The type of the person object.
	ObjectType string `json:"objectType,omitempty" people:"ro,enum=OBJECT_TYPE_UNSPECIFIED|PERSON|PAGE"`
	// Output only. Any former resource names this person has had.
	PreviousResourceNames []string `json:"previousResourceNames,omitempty" people:"ro"`
	// The sources of data for the person.
	Sources []Source `json:"sources,omitempty"`
}

// MiscKeyword is the People API MiscKeyword message: a person's miscellaneous keyword.
type MiscKeyword struct {
	// Output only. The type of the miscellaneous keyword translated and formatted in the
	// viewer's account locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the miscellaneous keyword.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The miscellaneous keyword type.
	Type string `json:"type,omitempty" people:"enum=TYPE_UNSPECIFIED|OUTLOOK_BILLING_INFORMATION|OUTLOOK_DIRECTORY_SERVER|OUTLOOK_KEYWORD|OUTLOOK_MILEAGE|OUTLOOK_PRIORITY|OUTLOOK_SENSITIVITY|OUTLOOK_SUBJECT|OUTLOOK_USER|HOME|WORK|OTHER"`
	// The value of the miscellaneous keyword.
	Value string `json:"value,omitempty"`
}

// Name is the People API Name message: a person's name. If the name is a mononym, the family name is empty.
type Name struct {
	// Output only. The display name formatted according to the locale specified by the viewer's
	// account or the Accept-Language HTTP header.
	DisplayName string `json:"displayName,omitempty" people:"ro"`
	// Output only. The display name with the last name first formatted according to the locale
	// specified by the viewer's account or the Accept-Language HTTP header.
	DisplayNameLastFirst string `json:"displayNameLastFirst,omitempty" people:"ro"`
	// The family name.
	FamilyName string `json:"familyName,omitempty"`
	// The given name.
	GivenName string `json:"givenName,omitempty"`
	// The honorific prefixes, such as Mrs.
	HonorificPrefix string `json:"honorificPrefix,omitempty"`
	// The honorific suffixes, such as Jr.
	HonorificSuffix string `json:"honorificSuffix,omitempty"`
	// Metadata about the name.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The middle name(s).
	MiddleName string `json:"middleName,omitempty"`
	// The family name spelled as it sounds.
	PhoneticFamilyName string `json:"phoneticFamilyName,omitempty"`
	// The full name spelled as it sounds.
	PhoneticFullName string `json:"phoneticFullName,omitempty"`
	// The given name spelled as it sounds.
	PhoneticGivenName string `json:"phoneticGivenName,omitempty"`
	// The honorific prefixes spelled as they sound.
	PhoneticHonorificPrefix string `json:"phoneticHonorificPrefix,omitempty"`
	// The honorific suffixes spelled as they sound.
	PhoneticHonorificSuffix string `json:"phoneticHonorificSuffix,omitempty"`
	// The middle name(s) spelled as they sound.
	PhoneticMiddleName string `json:"phoneticMiddleName,omitempty"`
	// The free form name value.
	UnstructuredName string `json:"unstructuredName,omitempty"`
}

// Nickname is the People API Nickname message: a person's nickname.
type Nickname struct {
	// Metadata about the nickname.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the nickname.
	Type string `json:"type,omitempty" people:"enum=DEFAULT|MAIDEN_NAME|INITIALS|GPLUS|OTHER_NAME|ALTERNATE_NAME|SHORT_NAME"`
	// The nickname.
	Value string `json:"value,omitempty"`
}

// Occupation is the People API Occupation message: a person's occupation.
type Occupation struct {
	// Metadata about the occupation.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The occupation; for example, carpenter.
	Value string `json:"value,omitempty"`
}

// Organization is the People API Organization message: a person's past or current organization.
type Organization struct {
	// The person's cost center at the organization.
	CostCenter string `json:"costCenter,omitempty"`
	// True if the organization is the person's current organization; false if the organization
	// is a past organization.
	Current bool `json:"current,omitempty"`
	// The person's department at the organization.
	Department string `json:"department,omitempty"`
	// The domain name associated with the organization; for example, google.com.
	Domain string `json:"domain,omitempty"`
	// The end date when the person left the organization.
	EndDate *Date `json:"endDate,omitempty"`
	// Output only. The type of the organization translated and formatted in the viewer's account
	// locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// The person's full-time equivalent millipercent within the organization (100000 = 100%).
	FullTimeEquivalentMillipercent int32 `json:"fullTimeEquivalentMillipercent,omitempty"`
	// The person's job description at the organization.
	JobDescription string `json:"jobDescription,omitempty"`
	// The location of the organization office the person works at.
	Location string `json:"location,omitempty"`
	// Metadata about the organization.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The name of the organization.
	Name string `json:"name,omitempty"`
	// The phonetic name of the organization.
	PhoneticName string `json:"phoneticName,omitempty"`
	// The start date when the person joined the organization.
	StartDate *Date `json:"startDate,omitempty"`
	// The symbol associated with the organization; for example, a stock ticker symbol,
	// abbreviation, or acronym.
	Symbol string `json:"symbol,omitempty"`
	// The person's job title at the organization.
	Title string `json:"title,omitempty"`
	// The type of the organization.
	Type string `json:"type,omitempty"`
}

// PhoneNumber is the People API PhoneNumber message: a person's phone number.
type PhoneNumber struct {
	// Output only. The canonicalized [ITU-T
	// E.164](https://law.resource.org/pub/us/cfr/ibr/004/itu-t.E.164.1.2008.pdf) form of the
	// phone number.
	CanonicalForm string `json:"canonicalForm,omitempty" people:"ro"`
	// Output only. The type of the phone number translated and formatted in the viewer's account
	// locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the phone number.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the phone number.
	Type string `json:"type,omitempty"`
	// The phone number.
	Value string `json:"value,omitempty"`
}

// Photo is the People API Photo message: a person's photo. A picture shown next to the person's name to help others recognize the person.
type Photo struct {
	// True if the photo is a default photo; false if the photo is a user-provided photo.
	Default bool `json:"default,omitempty"`
	// Metadata about the photo.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The URL of the photo. You can change the desired size by appending a query parameter
	// sz={size} at the end of the url, where {size} is the size in pixels.
	URL string `json:"url,omitempty"`
}

// Relation is the People API Relation message: a person's relation to another person.
type Relation struct {
	// Output only. The type of the relation translated and formatted in the viewer's account
	// locale or the locale specified in the Accept-Language HTTP header.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the relation.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The name of the other person this relation refers to.
	Person string `json:"person,omitempty"`
	// The person's relation to the other person.
	Type string `json:"type,omitempty"`
}

// RelationshipInterest is the People API RelationshipInterest message: (Deprecated by Google.) No data will be returned A person's relationship interest .
type RelationshipInterest struct {
	// Output only. The value of the relationship interest translated and formatted in the
	// viewer's account locale or the locale specified in the Accept-Language HTTP header.
	FormattedValue string `json:"formattedValue,omitempty" people:"ro"`
	// Metadata about the relationship interest.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The kind of relationship the person is looking for.
	Value string `json:"value,omitempty"`
}

// RelationshipStatus is the People API RelationshipStatus message: (Deprecated by Google.) No data will be returned A person's relationship status.
type RelationshipStatus struct {
	// Output only. The value of the relationship status translated and formatted in the viewer's
	// account locale or the Accept-Language HTTP header locale.
	FormattedValue string `json:"formattedValue,omitempty" people:"ro"`
	// Metadata about the relationship status.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The relationship status.
	Value string `json:"value,omitempty"`
}

// Residence is the People API Residence message: (Deprecated by Google.) Please use person.locations instead. A person's past or current residence.
type Residence struct {
	// True if the residence is the person's current residence; false if the residence is a past
	// residence.
	Current bool `json:"current,omitempty"`
	// Metadata about the residence.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The address of the residence.
	Value string `json:"value,omitempty"`
}

// SIPAddress is the People API SipAddress message: a person's SIP address. Session Initial Protocol addresses are used for VoIP communications to make voice or video calls over the internet.
type SIPAddress struct {
	// Output only. The type of the SIP address translated and formatted in the viewer's account
	// locale or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the SIP address.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the SIP address.
	Type string `json:"type,omitempty"`
	// The SIP address in the [RFC 3261 19.1](https://tools.ietf.org/html/rfc3261#section-19.1)
	// SIP URI format.
	Value string `json:"value,omitempty"`
}

// Skill is the People API Skill message: a skill that the person has.
type Skill struct {
	// Metadata about the skill.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The skill; for example, underwater basket weaving.
	Value string `json:"value,omitempty"`
}

// Tagline is the People API Tagline message: (Deprecated by Google.) No data will be returned A brief one-line description of the person.
type Tagline struct {
	// Metadata about the tagline.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The tagline.
	Value string `json:"value,omitempty"`
}

// URL is the People API Url message: a person's associated URLs.
type URL struct {
	// Output only. The type of the URL translated and formatted in the viewer's account locale
	// or the Accept-Language HTTP header locale.
	FormattedType string `json:"formattedType,omitempty" people:"ro"`
	// Metadata about the URL.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The type of the URL. The type can be custom or one of these predefined values: * home *
	// work * blog * profile * homePage * ftp * reservations * appInstallPage: website for a
	// Currents application.
	Type string `json:"type,omitempty"`
	// The URL.
	Value string `json:"value,omitempty"`
}

// UserDefined is the People API UserDefined message: arbitrary user data that is populated by the end users.
type UserDefined struct {
	// The end user specified key of the user defined data.
	Key string `json:"key,omitempty"`
	// Metadata about the user defined data.
	Metadata *FieldMetadata `json:"metadata,omitempty"`
	// The end user specified value of the user defined data.
	Value string `json:"value,omitempty"`
}

// GroupClientData is the People API GroupClientData message: arbitrary client data that is populated by clients.
type GroupClientData struct {
	// The client specified key of the client data.
	Key string `json:"key,omitempty"`
	// The client specified value of the client data.
	Value string `json:"value,omitempty"`
}

// GroupMetadata is the People API ContactGroupMetadata message: the metadata about a contact group.
type GroupMetadata struct {
	// Output only. True if the contact group resource has been deleted.
	Deleted bool `json:"deleted,omitempty" people:"ro"`
	// Output only. The time the group was last updated.
	UpdateTime string `json:"updateTime,omitempty" people:"ro"`
}

// FieldMetadata is the People API FieldMetadata message: metadata about a field.
type FieldMetadata struct {
	// Output only. True if the field is the primary field for all sources in the person.
	Primary bool `json:"primary,omitempty" people:"ro"`
	// The source of the field.
	Source *Source `json:"source,omitempty"`
	// True if the field is the primary field for the source.
	SourcePrimary bool `json:"sourcePrimary,omitempty"`
	// Output only. True if the field is verified; false if the field is unverified.
	Verified bool `json:"verified,omitempty" people:"ro"`
}

// Date is the People API Date message: represents a whole or partial calendar date, such as a birthday.
type Date struct {
	// Day of a month. Must be from 1 to 31 and valid for the year and month, or 0 to specify a
	// year by itself or a year and month where the day isn't significant.
	Day int32 `json:"day,omitempty"`
	// Month of a year. Must be from 1 to 12, or 0 to specify a year without a month and day.
	Month int32 `json:"month,omitempty"`
	// Year of the date. Must be from 1 to 9999, or 0 to specify a date without a year.
	Year int32 `json:"year,omitempty"`
}

// ContactGroupMembership is the People API ContactGroupMembership message: a Google contact group membership.
type ContactGroupMembership struct {
	// Output only. The contact group ID for the contact group membership.
	ContactGroupID string `json:"contactGroupId,omitempty" people:"ro"`
	// The resource name for the contact group, assigned by the server.
	ContactGroupResourceName string `json:"contactGroupResourceName,omitempty"`
}

// DomainMembership is the People API DomainMembership message: a Google Workspace Domain membership.
type DomainMembership struct {
	// True if the person is in the viewer's Google Workspace domain.
	InViewerDomain bool `json:"inViewerDomain,omitempty"`
}

// Source is the People API Source message: the source of a field.
type Source struct {
	// Only populated in person.metadata.sources.
	ETag string `json:"etag,omitempty"`
	// The unique identifier within the source type generated by the server.
	ID string `json:"id,omitempty"`
	// Output only. Only populated in person.metadata.sources.
	ProfileMetadata *ProfileMetadata `json:"profileMetadata,omitempty" people:"ro"`
	// The source type.
	Type string `json:"type,omitempty" people:"enum=SOURCE_TYPE_UNSPECIFIED|ACCOUNT|PROFILE|DOMAIN_PROFILE|CONTACT|OTHER_CONTACT|DOMAIN_CONTACT"`
	// Output only. Only populated in person.metadata.sources.
	UpdateTime string `json:"updateTime,omitempty" people:"ro"`
}

// ProfileMetadata is the People API ProfileMetadata message: the metadata about a profile.
type ProfileMetadata struct {
	// Output only. The profile object type.
	ObjectType string `json:"objectType,omitempty" people:"ro,enum=OBJECT_TYPE_UNSPECIFIED|PERSON|PAGE"`
	// Output only. The user types.
	UserTypes []string `json:"userTypes,omitempty" people:"ro,enum=USER_TYPE_UNKNOWN|GOOGLE_USER|GPLUS_USER|GOOGLE_APPS_USER"`
}
