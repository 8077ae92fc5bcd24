package googletest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func (e *env) create(p Person, fields string) Person {
	e.t.Helper()
	r := e.do("POST", "v1/people:createContact?personFields="+fields, p)
	r.wantOK(e.t)
	var out Person
	r.into(e.t, &out)
	return out
}

func TestCreateContact(t *testing.T) {
	e := newEnv(t, Options{})
	in := person("Ada", "Lovelace", "ada@example.com", "ada@work.example")
	in.PhoneNumbers = []PhoneNumber{{Value: "+44 20 7946 0000", Type: "mobile"}}
	in.ClientData = []ClientData{{Key: "contactbridge.uid", Value: "kXJ5pQ0vR2aS"}}
	got := e.create(in, "")
	if !strings.HasPrefix(got.ResourceName, "people/c") || !strings.HasPrefix(got.ETag, "%") {
		t.Errorf("resourceName %q etag %q", got.ResourceName, got.ETag)
	}
	src := got.Metadata.Sources
	if len(src) != 1 || src[0].Type != "CONTACT" || src[0].ID == "" || !strings.HasPrefix(src[0].ETag, "#") || src[0].UpdateTime != "2026-03-01T09:00:00.000000Z" {
		t.Errorf("metadata.sources %+v", src)
	}
	if "people/c"+fmt.Sprint(mustParseHex(t, src[0].ID)) != got.ResourceName {
		t.Errorf("source id %s does not match %s", src[0].ID, got.ResourceName)
	}
	n := got.Names[0]
	if n.DisplayName != "Ada Lovelace" || n.DisplayNameLastFirst != "Lovelace, Ada" || n.UnstructuredName != "Ada Lovelace" {
		t.Errorf("computed name fields %+v", n)
	}
	if !got.EmailAddresses[0].Metadata.Primary || got.EmailAddresses[1].Metadata.Primary ||
		got.EmailAddresses[0].Metadata.Source.ID != src[0].ID || got.EmailAddresses[0].FormattedType != "Home" {
		t.Errorf("email field metadata %+v %+v", got.EmailAddresses[0], got.EmailAddresses[1].Metadata)
	}
	if ph := got.PhoneNumbers[0]; ph.CanonicalForm != "+442079460000" || ph.FormattedType != "Mobile" {
		t.Errorf("phone %+v", ph)
	}
	if len(got.Memberships) != 1 || got.Memberships[0].ContactGroupMembership.ContactGroupResourceName != "contactGroups/myContacts" ||
		got.Memberships[0].ContactGroupMembership.ContactGroupID != "myContacts" {
		t.Errorf("memberships %+v", got.Memberships)
	}
	if len(got.Photos) != 1 || !got.Photos[0].Default || !strings.HasSuffix(got.Photos[0].URL, "=s100") {
		t.Errorf("photos %+v", got.Photos)
	}
	if !reflect.DeepEqual(got.ClientData, []ClientData{{Key: "contactbridge.uid", Value: "kXJ5pQ0vR2aS",
		Metadata: &FieldMetadata{Primary: true, SourcePrimary: true, Source: &Source{Type: "CONTACT", ID: src[0].ID}}}}) {
		t.Errorf("clientData %+v", got.ClientData)
	}
	// personFields restricts the answer; resourceName and etag are always there.
	only := e.create(person("Grace", "Hopper"), "names")
	if only.ResourceName == "" || only.ETag == "" || only.Metadata != nil || only.Photos != nil || only.Memberships != nil {
		t.Errorf("personFields=names answered %+v", only)
	}
	if e.s.Requests()["createContact"] != 2 {
		t.Errorf("Requests %v", e.s.Requests())
	}
}

func mustParseHex(t *testing.T, s string) uint64 {
	t.Helper()
	var n uint64
	if _, err := fmt.Sscanf(s, "%x", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRequestBodiesAreCheckedAgainstTheSchema(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct {
		name, body, message string
	}{
		{"misspelt field", `{"names":[{"givenName":"A"}],"emailAdresses":[{"value":"a@example.com"}]}`,
			`Invalid JSON payload received. Unknown name "emailAdresses" at 'person': Cannot find field.`},
		{"misspelt nested field", `{"names":[{"givenname":"A"}]}`,
			`Invalid JSON payload received. Unknown name "givenname" at 'person.names[0]': Cannot find field.`},
		{"wrong scalar type", `{"names":[{"givenName":5}]}`,
			`Invalid value at 'person.names[0].given_name' (TYPE_STRING), 5`},
		{"object for an array", `{"names":{"givenName":"A"}}`,
			`Invalid value at 'person.names' (type.googleapis.com/google.people.v1.Name), {"givenName":"A"}`},
		{"bad enum", `{"biographies":[{"value":"x","contentType":"TEXT_MARKDOWN"}]}`,
			`Invalid value at 'person.biographies[0].content_type' (type.googleapis.com/google.people.v1.Biography.ContentType), "TEXT_MARKDOWN"`},
		{"bad integer", `{"birthdays":[{"date":{"year":1815,"month":"December","day":10}}]}`,
			`Invalid value at 'person.birthdays[0].date.month' (TYPE_INT32), "December"`},
		{"not JSON", `{"names":`, `Invalid JSON payload received. Unexpected end of input.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "v1/people:createContact?personFields=names", tc.body)
			er := r.wantError(t, 400, "INVALID_ARGUMENT")
			if er.Error.Message != tc.message {
				t.Errorf("message\n got %s\nwant %s", er.Error.Message, tc.message)
			}
		})
	}
	// Proto field names, numeric strings for integers, output-only fields
	// and null are all accepted, as by Google.
	r := e.do("POST", "v1/people:createContact?personFields=names,birthdays",
		`{"names":[{"given_name":"Ada","displayName":"ignored"}],"birthdays":[{"date":{"year":"1815","month":12,"day":10}}],"photos":null,"resourceName":"people/c1"}`)
	r.wantOK(t)
	var p Person
	r.into(t, &p)
	if p.Names[0].GivenName != "Ada" || p.Names[0].DisplayName != "Ada" || p.Birthdays[0].Date.Year != 1815 || p.ResourceName == "people/c1" {
		t.Errorf("got %s", r.body)
	}
	if len(e.u.People()) != 1 {
		t.Errorf("refused requests created contacts")
	}
}

func TestSingletonFields(t *testing.T) {
	e := newEnv(t, Options{})
	for _, f := range []string{"names", "birthdays", "biographies", "genders"} {
		t.Run(f, func(t *testing.T) {
			var p Person
			switch f {
			case "names":
				p.Names = []Name{{GivenName: "A"}, {GivenName: "B"}}
			case "birthdays":
				p.Birthdays = []Birthday{{Text: "a"}, {Text: "b"}}
			case "biographies":
				p.Biographies = []Biography{{Value: "a"}, {Value: "b"}}
			case "genders":
				p.Genders = []Gender{{Value: "male"}, {Value: "female"}}
			}
			e.do("POST", "v1/people:createContact", p).wantError(t, 400, "INVALID_ARGUMENT")
			name := e.u.Put(person("X", "Y"))
			cur := e.get(name, "names")
			p.ETag = cur.ETag
			e.do("PATCH", "v1/"+name+":updateContact?updatePersonFields="+f, p).wantError(t, 400, "INVALID_ARGUMENT")
		})
	}
}

func TestGetAndBatchGet(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.u.Put(person("Ada", "Lovelace"))
	b := e.u.Put(person("Grace", "Hopper"))
	e.do("GET", "v1/"+a, nil).wantError(t, 400, "INVALID_ARGUMENT") // personFields required
	if p := e.get(a, "names"); p.Names[0].GivenName != "Ada" {
		t.Errorf("get %+v", p)
	}
	e.do("GET", "v1/people/c42?personFields=names", nil).wantError(t, 404, "NOT_FOUND")
	me := e.get("people/me", "names,emailAddresses")
	if !strings.HasPrefix(me.ResourceName, "people/1") || me.EmailAddresses[0].Value != "user1@example.com" {
		t.Errorf("people/me %+v", me)
	}

	r := e.do("GET", "v1/people:batchGet?personFields=names&resourceNames="+a+"&resourceNames="+b+"&resourceNames=people/c42", nil)
	r.wantOK(t)
	var got struct {
		Responses []struct {
			HTTPStatusCode        int     `json:"httpStatusCode"`
			Person                *Person `json:"person"`
			RequestedResourceName string  `json:"requestedResourceName"`
			Status                *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"status"`
		} `json:"responses"`
	}
	r.into(t, &got)
	if len(got.Responses) != 3 || got.Responses[0].Person.Names[0].GivenName != "Ada" ||
		got.Responses[1].RequestedResourceName != b || got.Responses[2].Status.Code != 5 || got.Responses[2].HTTPStatusCode != 404 {
		t.Errorf("batchGet %s", r.body)
	}
	q := url.Values{"personFields": {"names"}}
	for i := range 201 {
		q.Add("resourceNames", fmt.Sprintf("people/c%d", i))
	}
	e.do("GET", "v1/people:batchGet?"+q.Encode(), nil).wantError(t, 400, "INVALID_ARGUMENT")
	q.Del("resourceNames")
	e.do("GET", "v1/people:batchGet?"+q.Encode(), nil).wantError(t, 400, "INVALID_ARGUMENT")
}

// The stale-etag error of reference §2.2.
const recordedStaleETag = `{
  "error": {
    "code": 400,
    "message": "Request person.etag is different than the current person.etag. Clear local cache and get the latest person.",
    "status": "FAILED_PRECONDITION"
  }
}`

func TestUpdateContact(t *testing.T) {
	e := newEnv(t, Options{})
	name := e.u.Put(person("Ada", "Lovelace", "ada@example.com"))
	cur := e.get(name, "names,emailAddresses,metadata")
	path := "v1/" + name + ":updateContact?updatePersonFields="

	t.Run("updatePersonFields is required", func(t *testing.T) {
		er := e.do("PATCH", "v1/"+name+":updateContact", Person{ETag: cur.ETag}).wantError(t, 400, "INVALID_ARGUMENT")
		if !strings.HasPrefix(er.Error.Message, "updatePersonFields mask is required.") {
			t.Errorf("message %q", er.Error.Message)
		}
	})
	t.Run("photos is not updatable", func(t *testing.T) {
		e.do("PATCH", path+"photos", Person{ETag: cur.ETag}).wantError(t, 400, "INVALID_ARGUMENT")
	})
	t.Run("an etag is required", func(t *testing.T) {
		er := e.do("PATCH", path+"names", Person{Names: []Name{{GivenName: "A"}}}).wantError(t, 400, "INVALID_ARGUMENT")
		if er.Error.Message != msgMissingETag {
			t.Errorf("message %q", er.Error.Message)
		}
	})
	t.Run("stale person etag", func(t *testing.T) {
		r := e.do("PATCH", path+"names", `{"etag":"%EgU=","names":[{"givenName":"A"}]}`) // reference §9
		r.wantError(t, 400, "FAILED_PRECONDITION")
		want, _ := json.Marshal(decodeJSON(t, recordedStaleETag))
		got, _ := json.Marshal(r.json(t))
		if string(want) != string(got) {
			t.Errorf("stale etag body\n got %s\nwant %s", got, want)
		}
	})
	t.Run("stale source etag", func(t *testing.T) {
		p := Person{Metadata: &PersonMetadata{Sources: []Source{{Type: "CONTACT", ID: cur.Metadata.Sources[0].ID, ETag: "#AAAAAAAAAAA="}}}}
		er := e.do("PATCH", path+"names", p).wantError(t, 400, "FAILED_PRECONDITION")
		if er.Error.Message != msgStaleSourceETag {
			t.Errorf("message %q", er.Error.Message)
		}
	})
	t.Run("unknown contact", func(t *testing.T) {
		e.do("PATCH", "v1/people/c42:updateContact?updatePersonFields=names", Person{ETag: cur.ETag}).wantError(t, 404, "NOT_FOUND")
	})

	// A good update replaces the named fields, clears named fields the
	// request leaves out, keeps the others, and changes both etags.
	in := cur
	in.Names = []Name{{GivenName: "Augusta Ada", FamilyName: "King"}}
	in.EmailAddresses = nil
	r := e.do("PATCH", path+"names,emailAddresses&personFields=names,emailAddresses,memberships,metadata", in)
	r.wantOK(t)
	var got Person
	r.into(t, &got)
	if got.Names[0].GivenName != "Augusta Ada" || got.EmailAddresses != nil || len(got.Memberships) != 1 {
		t.Errorf("updated person %s", r.body)
	}
	if got.ETag == cur.ETag || got.Metadata.Sources[0].ETag == cur.Metadata.Sources[0].ETag {
		t.Errorf("etags did not change")
	}
	// The old etag is now stale; the source etag alone is accepted.
	e.do("PATCH", path+"names", cur).wantError(t, 400, "FAILED_PRECONDITION")
	p := Person{Names: []Name{{GivenName: "Ada"}}, Metadata: &PersonMetadata{Sources: []Source{{Type: "CONTACT", ETag: got.Metadata.Sources[0].ETag}}}}
	e.do("PATCH", path+"names", p).wantOK(t)
}

func TestUpdateMemberships(t *testing.T) {
	e := newEnv(t, Options{})
	name := e.u.Put(person("Ada", "Lovelace"))
	group := e.u.PutGroup(Group{Name: "Friends of Ada"})
	cur := e.get(name, "memberships")
	path := "v1/" + name + ":updateContact?updatePersonFields=memberships&personFields=memberships"
	// Leaving no contact-group membership is refused (reference §2.1).
	e.do("PATCH", path, Person{ETag: cur.ETag}).wantError(t, 400, "INVALID_ARGUMENT")
	// Deprecated system groups take no new members (reference §3).
	e.do("PATCH", path, Person{ETag: cur.ETag, Memberships: []Membership{membershipOf("contactGroups/friends")}}).
		wantError(t, 400, "INVALID_ARGUMENT")
	e.do("PATCH", path, Person{ETag: cur.ETag, Memberships: []Membership{membershipOf("contactGroups/nope")}}).
		wantError(t, 400, "INVALID_ARGUMENT")
	r := e.do("PATCH", path, Person{ETag: cur.ETag, Memberships: []Membership{membershipOf(group), membershipOf("contactGroups/starred")}})
	r.wantOK(t)
	var got Person
	r.into(t, &got)
	if gs := groupsOf(&got); !slices.Equal(gs, []string{group, "contactGroups/starred"}) {
		t.Errorf("memberships %v", gs)
	}
}

func TestRekeyOnEmailChange(t *testing.T) {
	e := newEnv(t, Options{RekeyOnEmailChange: true})
	name := e.u.Put(person("Ada", "Lovelace", "ada@example.com"))
	_, sync := e.listAll("personFields=names,metadata&requestSyncToken=true")
	cur := e.get(name, "emailAddresses")
	cur.EmailAddresses = append(cur.EmailAddresses, EmailAddress{Value: "ada@verified.example"})
	r := e.do("POST", "v1/people:batchUpdateContacts", map[string]any{
		"contacts": map[string]Person{name: cur}, "updateMask": "emailAddresses", "readMask": "names"})
	r.wantOK(t)
	var got struct {
		UpdateResult map[string]personResponse `json:"updateResult"`
	}
	r.into(t, &got)
	pr := got.UpdateResult[name]
	if pr.RequestedResourceName != name || pr.Person == nil || pr.Person.ResourceName == name {
		t.Fatalf("re-keyed update answered %s", r.body)
	}
	changes, _ := e.listAll("personFields=names,metadata&syncToken=" + url.QueryEscape(sync))
	if len(changes) != 1 || changes[0].ResourceName != pr.Person.ResourceName ||
		!slices.Equal(changes[0].Metadata.PreviousResourceNames, []string{name}) {
		t.Errorf("sync after re-key: %+v", changes)
	}
}

func TestDeleteContact(t *testing.T) {
	e := newEnv(t, Options{})
	name := e.u.Put(person("Ada", "Lovelace"))
	r := e.do("DELETE", "v1/"+name+":deleteContact", nil)
	r.wantOK(t)
	if strings.TrimSpace(string(r.body)) != "{}" {
		t.Errorf("delete answered %s", r.body)
	}
	e.do("DELETE", "v1/"+name+":deleteContact", nil).wantError(t, 404, "NOT_FOUND")
	e.do("GET", "v1/"+name+"?personFields=names", nil).wantError(t, 404, "NOT_FOUND")
}

func TestBatchCreateContacts(t *testing.T) {
	e := newEnv(t, Options{})
	contacts := func(n int) map[string]any {
		var cs []map[string]any
		for i := range n {
			cs = append(cs, map[string]any{"contactPerson": person(fmt.Sprint(i), "Batch")})
		}
		return map[string]any{"contacts": cs, "readMask": "names,clientData"}
	}
	t.Run("201 is one too many", func(t *testing.T) {
		er := e.do("POST", "v1/people:batchCreateContacts", contacts(201)).wantError(t, 400, "INVALID_ARGUMENT")
		if len(er.Error.Details) != 1 || er.Error.Details[0]["@type"] != "type.googleapis.com/google.rpc.BadRequest" {
			t.Errorf("details %v", er.Error.Details)
		}
		if n := len(e.u.People()); n != 0 {
			t.Errorf("%d contacts created by a refused batch", n)
		}
	})
	t.Run("200 are created", func(t *testing.T) {
		r := e.do("POST", "v1/people:batchCreateContacts", contacts(200))
		r.wantOK(t)
		var got batchCreateContactsResponse
		r.into(t, &got)
		if len(got.CreatedPeople) != 200 || got.CreatedPeople[0].Person.Names[0].GivenName != "0" ||
			got.CreatedPeople[0].Person.ResourceName == "" || got.CreatedPeople[0].HTTPStatusCode != 200 {
			t.Errorf("created %d: %+v", len(got.CreatedPeople), got.CreatedPeople[0])
		}
	})
	t.Run("an empty readMask returns no people", func(t *testing.T) {
		body := contacts(2)
		delete(body, "readMask")
		r := e.do("POST", "v1/people:batchCreateContacts", body)
		r.wantOK(t)
		if strings.TrimSpace(string(r.body)) != "{}" {
			t.Errorf("answered %s", r.body)
		}
	})
	t.Run("one invalid contact fails the batch", func(t *testing.T) {
		before := len(e.u.People())
		body := `{"contacts":[{"contactPerson":{"names":[{"givenName":"ok"}]}},{"contactPerson":{"names":[{"givenName":"a"},{"givenName":"b"}]}}],"readMask":"names"}`
		er := e.do("POST", "v1/people:batchCreateContacts", body).wantError(t, 400, "INVALID_ARGUMENT")
		if !strings.Contains(er.Error.Message, "contacts[1].contact_person.names") {
			t.Errorf("message %q", er.Error.Message)
		}
		if len(e.u.People()) != before {
			t.Errorf("a failed batch created contacts")
		}
	})
	if len(e.u.People()) != 202 {
		t.Errorf("%d contacts", len(e.u.People()))
	}
}

func TestBatchUpdateContacts(t *testing.T) {
	setup := func(t *testing.T, opts Options) (*env, []Person) {
		e := newEnv(t, opts)
		var ps []Person
		for i := range 3 {
			ps = append(ps, e.get(e.u.Put(person(fmt.Sprint(i), "Before")), "names"))
		}
		return e, ps
	}
	body := func(ps []Person) map[string]any {
		cs := map[string]Person{}
		for _, p := range ps {
			p.Names[0].FamilyName = "After"
			cs[p.ResourceName] = p
		}
		return map[string]any{"contacts": cs, "updateMask": "names", "readMask": "names"}
	}
	t.Run("per-contact etag failure", func(t *testing.T) {
		e, ps := setup(t, Options{})
		stale := ps[1]
		edit := stale
		edit.Names = []Name{{GivenName: "Changed", FamilyName: "Elsewhere"}}
		e.u.Put(edit)
		r := e.do("POST", "v1/people:batchUpdateContacts", body(ps))
		r.wantOK(t)
		var got batchUpdateContactsResponse
		r.into(t, &got)
		if len(got.UpdateResult) != 3 {
			t.Fatalf("updateResult %s", r.body)
		}
		bad := got.UpdateResult[stale.ResourceName]
		if bad.Person != nil || bad.Status == nil || bad.Status.Code != 9 || bad.Status.Message != msgStalePersonETag || bad.HTTPStatusCode != 400 {
			t.Errorf("stale contact's response %+v", bad)
		}
		if ok := got.UpdateResult[ps[0].ResourceName]; ok.Person == nil || ok.Person.Names[0].FamilyName != "After" || ok.Status == nil || ok.Status.Code != 0 {
			t.Errorf("good contact's response %+v", ok)
		}
		if p := e.get(stale.ResourceName, "names"); p.Names[0].FamilyName != "Elsewhere" {
			t.Errorf("stale update was written: %+v", p.Names)
		}
	})
	t.Run("atomic", func(t *testing.T) {
		e, ps := setup(t, Options{BatchUpdateAtomic: true})
		e.u.Put(ps[2])
		e.do("POST", "v1/people:batchUpdateContacts", body(ps)).wantError(t, 400, "FAILED_PRECONDITION")
		for _, p := range e.u.People() {
			if p.Names[0].FamilyName != "Before" {
				t.Errorf("atomic batch wrote %s", p.ResourceName)
			}
		}
	})
	t.Run("limits and masks", func(t *testing.T) {
		e, ps := setup(t, Options{})
		b := body(ps)
		delete(b, "updateMask")
		e.do("POST", "v1/people:batchUpdateContacts", b).wantError(t, 400, "INVALID_ARGUMENT")
		cs := map[string]Person{}
		for i := range 201 {
			cs[fmt.Sprintf("people/c%d", i)] = Person{ETag: "%x"}
		}
		e.do("POST", "v1/people:batchUpdateContacts", map[string]any{"contacts": cs, "updateMask": "names"}).
			wantError(t, 400, "INVALID_ARGUMENT")
		// A missing contact is a per-contact NOT_FOUND.
		r := e.do("POST", "v1/people:batchUpdateContacts", map[string]any{
			"contacts": map[string]Person{"people/c42": {ETag: "%x"}}, "updateMask": "names"})
		r.wantOK(t)
		var got batchUpdateContactsResponse
		r.into(t, &got)
		if got.UpdateResult["people/c42"].Status.Code != 5 {
			t.Errorf("missing contact %s", r.body)
		}
		// Without a readMask successes carry no person.
		b = body(ps)
		delete(b, "readMask")
		r = e.do("POST", "v1/people:batchUpdateContacts", b)
		r.wantOK(t)
		if strings.TrimSpace(string(r.body)) != "{}" {
			t.Errorf("answered %s", r.body)
		}
	})
}

func TestBatchDeleteContacts(t *testing.T) {
	e := newEnv(t, Options{})
	var all []string
	for i := range 501 {
		all = append(all, e.u.Put(person(fmt.Sprint(i), "")))
	}
	e.do("POST", "v1/people:batchDeleteContacts", map[string]any{"resourceNames": all}).wantError(t, 400, "INVALID_ARGUMENT")
	e.do("POST", "v1/people:batchDeleteContacts", map[string]any{"resourceNames": []string{}}).wantError(t, 400, "INVALID_ARGUMENT")
	e.do("POST", "v1/people:batchDeleteContacts", map[string]any{"resourceNames": []string{all[0], "people/c42"}}).
		wantError(t, 404, "NOT_FOUND")
	if n := len(e.u.People()); n != 501 {
		t.Fatalf("refused batches deleted contacts: %d left", n)
	}
	r := e.do("POST", "v1/people:batchDeleteContacts", map[string]any{"resourceNames": all[:500]})
	r.wantOK(t)
	if strings.TrimSpace(string(r.body)) != "{}" {
		t.Errorf("answered %s", r.body)
	}
	if n := len(e.u.People()); n != 1 {
		t.Errorf("%d left", n)
	}
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestContactPhotos(t *testing.T) {
	e := newEnv(t, Options{MaxPhotoBytes: 1 << 20})
	name := e.u.Put(person("Ada", "Lovelace"))
	before := e.get(name, "photos")
	if len(before.Photos) != 1 || !before.Photos[0].Default {
		t.Fatalf("no default avatar: %+v", before.Photos)
	}
	// The default avatar is fetchable (without credentials) but flagged.
	res, err := http.Get(before.Photos[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	if rr := readResp(t, res); rr.code != 200 || rr.header.Get("Content-Type") != "image/png" {
		t.Errorf("default avatar: %d %s", rr.code, rr.header.Get("Content-Type"))
	}

	path := "v1/" + name + ":updateContactPhoto"
	img := pngBytes(t)
	e.do("PATCH", path, map[string]any{"photoBytes": base64.StdEncoding.EncodeToString([]byte("GIF89a...."))}).
		wantError(t, 400, "INVALID_ARGUMENT")
	e.do("PATCH", path, map[string]any{}).wantError(t, 400, "INVALID_ARGUMENT")
	e.do("PATCH", path, map[string]any{"photoBytes": "%%%"}).wantError(t, 400, "INVALID_ARGUMENT")
	e.do("PATCH", path, map[string]any{"photoBytes": base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2<<20)...))}).
		wantError(t, 400, "INVALID_ARGUMENT")

	// Without personFields the answer is empty.
	r := e.do("PATCH", path, map[string]any{"photoBytes": base64.StdEncoding.EncodeToString(img)})
	r.wantOK(t)
	if strings.TrimSpace(string(r.body)) != "{}" {
		t.Errorf("answered %s", r.body)
	}
	r = e.do("PATCH", path, map[string]any{"photoBytes": base64.StdEncoding.EncodeToString(img), "personFields": "photos"})
	r.wantOK(t)
	var got struct{ Person Person }
	r.into(t, &got)
	ph := got.Person.Photos
	if len(ph) != 1 || ph[0].Default || got.Person.ETag == before.ETag {
		t.Fatalf("after upload: %s", r.body)
	}
	res, err = http.Get(ph[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	rr := readResp(t, res)
	if !bytes.Equal(rr.body, img) {
		t.Errorf("photo URL serves %d bytes, not the upload", len(rr.body))
	}
	// URLs take a size option.
	res, err = http.Get(strings.TrimSuffix(ph[0].URL, "=s100") + "=s400")
	if err != nil {
		t.Fatal(err)
	}
	if rr := readResp(t, res); rr.code != 200 {
		t.Errorf("resized URL: %d", rr.code)
	}

	r = e.do("DELETE", "v1/"+name+":deleteContactPhoto?personFields=photos", nil)
	r.wantOK(t)
	r.into(t, &got)
	if !got.Person.Photos[0].Default {
		t.Errorf("after delete: %s", r.body)
	}
	r = e.do("DELETE", "v1/"+name+":deleteContactPhoto", nil)
	r.wantOK(t)
	if strings.TrimSpace(string(r.body)) != "{}" {
		t.Errorf("answered %s", r.body)
	}
	if !e.u.SetPhoto(name, img) || e.u.People()[0].Photos[0].Default {
		t.Errorf("SetPhoto did not set a photo")
	}
}

func TestETagChangesOnEveryWrite(t *testing.T) {
	e := newEnv(t, Options{})
	name := e.u.Put(person("Ada", "Lovelace"))
	group := e.u.PutGroup(Group{Name: "Mathematicians"})
	img := base64.StdEncoding.EncodeToString(pngBytes(t))
	seen := map[string]bool{e.get(name, "names").ETag: true}
	for _, step := range []struct {
		name string
		do   func() *resp
	}{
		{"update", func() *resp {
			p := e.get(name, "names")
			p.Names[0].GivenName = "Augusta"
			return e.do("PATCH", "v1/"+name+":updateContact?updatePersonFields=names", p)
		}},
		{"add to group", func() *resp {
			return e.do("POST", "v1/"+group+"/members:modify", map[string]any{"resourceNamesToAdd": []string{name}})
		}},
		{"remove from group", func() *resp {
			return e.do("POST", "v1/"+group+"/members:modify", map[string]any{"resourceNamesToRemove": []string{name}})
		}},
		{"photo", func() *resp {
			return e.do("PATCH", "v1/"+name+":updateContactPhoto", map[string]any{"photoBytes": img})
		}},
		{"photo delete", func() *resp { return e.do("DELETE", "v1/"+name+":deleteContactPhoto", nil) }},
	} {
		step.do().wantOK(t)
		etag := e.get(name, "names").ETag
		if seen[etag] {
			t.Errorf("%s left the etag unchanged", step.name)
		}
		seen[etag] = true
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct{ method, path string }{
		{"GET", "v1/people:createContact"},
		{"POST", "v1/people/c1:updateContact"},
		{"GET", "v1/people/me/friends"},
		{"GET", "v2/people/me/connections"},
	} {
		r := e.do(tc.method, tc.path, nil)
		if r.code != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.code, r.header.Get("Content-Type"))
		}
	}
}
