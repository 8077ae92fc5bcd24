package outlook

import "strings"

// Contact is Graph's v1.0 contact resource as the connector reads and
// writes it (reference §2). Read-only fields (ID, ETag, ChangeKey, the
// timestamps, ParentFolderID) come from Graph and are never sent; Removed
// is set on delta entries for deleted items.
type Contact struct {
	ID                   string          `json:"id,omitempty"`
	ETag                 string          `json:"@odata.etag,omitempty"`
	ChangeKey            string          `json:"changeKey,omitempty"`
	CreatedDateTime      string          `json:"createdDateTime,omitempty"`
	LastModifiedDateTime string          `json:"lastModifiedDateTime,omitempty"`
	ParentFolderID       string          `json:"parentFolderId,omitempty"`
	Removed              *Removed        `json:"@removed,omitempty"`
	Categories           []string        `json:"categories,omitempty"`
	Birthday             string          `json:"birthday,omitempty"` // "1974-07-22T00:00:00Z"
	FileAs               string          `json:"fileAs,omitempty"`
	DisplayName          string          `json:"displayName,omitempty"`
	GivenName            string          `json:"givenName,omitempty"`
	Initials             string          `json:"initials,omitempty"`
	MiddleName           string          `json:"middleName,omitempty"`
	NickName             string          `json:"nickName,omitempty"`
	Surname              string          `json:"surname,omitempty"`
	Title                string          `json:"title,omitempty"`
	YomiGivenName        string          `json:"yomiGivenName,omitempty"`
	YomiSurname          string          `json:"yomiSurname,omitempty"`
	YomiCompanyName      string          `json:"yomiCompanyName,omitempty"`
	Generation           string          `json:"generation,omitempty"`
	IMAddresses          []string        `json:"imAddresses,omitempty"`
	JobTitle             string          `json:"jobTitle,omitempty"`
	CompanyName          string          `json:"companyName,omitempty"`
	Department           string          `json:"department,omitempty"`
	OfficeLocation       string          `json:"officeLocation,omitempty"`
	Profession           string          `json:"profession,omitempty"`
	BusinessHomePage     string          `json:"businessHomePage,omitempty"`
	AssistantName        string          `json:"assistantName,omitempty"`
	Manager              string          `json:"manager,omitempty"`
	HomePhones           []string        `json:"homePhones,omitempty"`
	MobilePhone          string          `json:"mobilePhone,omitempty"`
	BusinessPhones       []string        `json:"businessPhones,omitempty"`
	SpouseName           string          `json:"spouseName,omitempty"`
	PersonalNotes        string          `json:"personalNotes,omitempty"`
	Children             []string        `json:"children,omitempty"`
	EmailAddresses       []EmailAddress  `json:"emailAddresses,omitempty"`
	HomeAddress          PhysicalAddress `json:"homeAddress"`
	BusinessAddress      PhysicalAddress `json:"businessAddress"`
	OtherAddress         PhysicalAddress `json:"otherAddress"`
	// SingleValueExtendedProperties carries the record key (keyProperty)
	// on writes, and on reads that expand it.
	SingleValueExtendedProperties []ExtendedProperty `json:"singleValueExtendedProperties,omitempty"`
}

// Removed marks a delta entry for an item gone from the folder: reason
// "deleted" (gone for good) or "changed" (soft-deleted or moved out).
type Removed struct {
	Reason string `json:"reason"`
}

// EmailAddress is Graph's emailAddress: no type, a display name.
type EmailAddress struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
}

// PhysicalAddress is Graph's physicalAddress; empty is {}.
type PhysicalAddress struct {
	Street          string `json:"street,omitempty"`
	City            string `json:"city,omitempty"`
	State           string `json:"state,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
	CountryOrRegion string `json:"countryOrRegion,omitempty"`
}

// ExtendedProperty is a single-value legacy extended property.
type ExtendedProperty struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// keyProperty is the id of the single-value extended property holding the
// hub record id a contact was created for (Item.Key): a named string
// property in ContactBridge's own property set, invisible in Outlook.
const keyProperty = "String {6d1e4a3c-2f0b-4c8e-9a57-3b0c1f6e8d21} Name ContactBridgeKey"

// recordKey returns the record key c carries, or "".
func recordKey(c *Contact) string {
	for _, p := range c.SingleValueExtendedProperties {
		if equalFoldID(p.ID, keyProperty) {
			return p.Value
		}
	}
	return ""
}

// equalFoldID compares extended property ids, whose GUIDs and names Graph
// matches without regard to case.
func equalFoldID(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}
