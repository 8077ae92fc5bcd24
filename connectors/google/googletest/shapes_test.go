package googletest

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestGoClientRequests replays the requests google.golang.org/api sends
// (reference §9), headers and all.
func TestGoClientRequests(t *testing.T) {
	e := newEnv(t, Options{})
	e.u.Put(Person{ResourceName: "people/c1", Names: []Name{{GivenName: "B"}}})
	send := func(method, path, body string) *resp {
		var req *http.Request
		if body == "" {
			req, _ = http.NewRequest(method, e.s.URL()+path, nil)
		} else {
			req, _ = http.NewRequest(method, e.s.URL()+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("User-Agent", "google-api-go-client/0.5")
		req.Header.Set("Authorization", "Bearer "+e.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return readResp(t, res)
	}
	r := send("GET", "v1/people/me/connections?alt=json&pageSize=1000&personFields=names%2Cmetadata&prettyPrint=false&requestSyncToken=true", "")
	r.wantOK(t)
	var p listPage
	r.into(t, &p)
	if len(p.Connections) != 1 || p.NextSyncToken == "" {
		t.Errorf("list: %s", r.body)
	}
	// The recorded PATCH carries a made-up etag: Google refuses it.
	send("PATCH", "v1/people/c1:updateContact?alt=json&prettyPrint=false&updatePersonFields=names",
		`{"etag":"%EgU=","names":[{"givenName":"A"}]}`).wantError(t, 400, "FAILED_PRECONDITION")
	send("PATCH", "v1/people/c1:updateContact?alt=json&prettyPrint=false&updatePersonFields=names",
		`{"etag":"`+p.Connections[0].ETag+`","names":[{"givenName":"A"}]}`).wantOK(t)
	r = send("DELETE", "v1/people/c1:deleteContact?alt=json&prettyPrint=false", "")
	r.wantOK(t)
	if strings.TrimSpace(string(r.body)) != "{}" {
		t.Errorf("delete answered %s", r.body)
	}
}

// TestReadModifyWrite checks that a person read with every field, output
// only ones and field metadata included, can be sent back as an update
// unchanged, as Google allows, and that it reads back the same.
func TestReadModifyWrite(t *testing.T) {
	e := newEnv(t, Options{})
	full := Person{
		Names:          []Name{{GivenName: "Ada", FamilyName: "Lovelace", HonorificPrefix: "Countess"}},
		Nicknames:      []Nickname{{Value: "Ada", Type: "SHORT_NAME"}},
		EmailAddresses: []EmailAddress{{Value: "ada@example.com", Type: "work"}, {Value: "a@example.org", Type: "Poetry"}},
		PhoneNumbers:   []PhoneNumber{{Value: "020 7946 0000", Type: "homeFax"}},
		Addresses:      []Address{{StreetAddress: "12 St James's Square", City: "London", PostalCode: "SW1Y 4LB", Country: "UK", CountryCode: "GB", Type: "home"}},
		Organizations:  []Organization{{Name: "Analytical Engines", Title: "Programmer", Current: true, StartDate: &Date{Year: 1842, Month: 9}}},
		Birthdays:      []Birthday{{Date: &Date{Year: 1815, Month: 12, Day: 10}}},
		Biographies:    []Biography{{Value: "Note", ContentType: "TEXT_PLAIN"}},
		URLs:           []URL{{Value: "https://example.com", Type: "homePage"}},
		Relations:      []Relation{{Person: "Lord Byron", Type: "father"}},
		Events:         []Event{{Date: &Date{Month: 7, Day: 8}, Type: "anniversary"}},
		IMClients:      []IMClient{{Username: "ada", Protocol: "jabber", Type: "work"}},
		SIPAddresses:   []SIPAddress{{Value: "sip:ada@example.com", Type: "work"}},
		UserDefined:    []UserDefined{{Key: "X-FOO", Value: "bar"}},
		ClientData:     []ClientData{{Key: "uid", Value: "kXJ5pQ0vR2aS"}},
		ExternalIDs:    []ExternalID{{Value: "42", Type: "customer"}},
		Genders:        []Gender{{Value: "female"}},
		Locales:        []Locale{{Value: "en-GB"}},
		MiscKeywords:   []MiscKeyword{{Value: "vip", Type: "OUTLOOK_KEYWORD"}},
		CalendarURLs:   []CalendarURL{{URL: "https://example.com/cal", Type: "freeBusy"}},
		FileAses:       []FileAs{{Value: "Lovelace, Ada"}},
		Interests:      []Interest{{Value: "Mathematics"}},
		Occupations:    []Occupation{{Value: "Mathematician"}},
		Locations:      []Location{{Value: "Desk 4", Type: "desk", Current: true}},
	}
	name := e.u.Put(full)
	read := e.get(name, personReadFields)
	if read.PhoneNumbers[0].FormattedType != "Home Fax" || read.EmailAddresses[1].FormattedType != "Poetry" ||
		read.Genders[0].FormattedValue != "Female" || read.Addresses[0].FormattedValue == "" ||
		read.Events[0].Date.Year != 0 {
		t.Errorf("computed fields: %+v %+v %+v", read.PhoneNumbers, read.EmailAddresses, read.Genders)
	}
	r := e.do("PATCH", "v1/"+name+":updateContact?updatePersonFields="+personUpdateFields+"&personFields="+personReadFields, read)
	r.wantOK(t)
	var back Person
	r.into(t, &back)
	back.ETag, back.Metadata = read.ETag, read.Metadata
	if !reflect.DeepEqual(read, back) {
		t.Errorf("round trip changed the person\nread %+v\nback %+v", read, back)
	}
}

func TestUserKnobs(t *testing.T) {
	e := newEnv(t, Options{})
	if got := e.u.Put(Person{ResourceName: "people/c77", Names: []Name{{GivenName: "Seeded"}}}); got != "people/c77" {
		t.Errorf("Put with a name gave %q", got)
	}
	p := e.get("people/c77", "names,memberships")
	if p.Names[0].GivenName != "Seeded" || len(p.Memberships) != 1 {
		t.Errorf("seeded %+v", p)
	}
	p.Names[0].GivenName = "Edited"
	if e.u.Put(p) != "people/c77" || e.get("people/c77", "names").Names[0].GivenName != "Edited" {
		t.Errorf("Put did not edit in place")
	}
	if e.u.Rename("people/c0") != "" || e.u.SetPhoto("people/c0", nil) {
		t.Errorf("knobs on an unknown contact")
	}
	e.u.Delete("people/c77")
	e.u.Delete("people/c77")
	if len(e.u.People()) != 0 {
		t.Errorf("Delete")
	}
	e.u.SetProfile("Ada Lovelace", "ada@example.com")
	if me := e.get("people/me", "names,emailAddresses"); me.Names[0].DisplayName != "Ada Lovelace" || me.EmailAddresses[0].Value != "ada@example.com" {
		t.Errorf("people/me %+v", me)
	}
	if e.s.AddUser(testRefreshToken) != e.u {
		t.Errorf("AddUser twice made two accounts")
	}
}
