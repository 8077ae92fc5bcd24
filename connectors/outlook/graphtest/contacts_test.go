package graphtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The member order of the contact in the contact-get example the reference
// builds on (reference §2; learn.microsoft.com contact-get).
var recordedContactKeys = []string{"@odata.context", "@odata.etag", "id", "createdDateTime", "lastModifiedDateTime", "changeKey",
	"categories", "parentFolderId", "birthday", "fileAs", "displayName", "givenName", "initials", "middleName", "nickName",
	"surname", "title", "yomiGivenName", "yomiSurname", "yomiCompanyName", "generation", "imAddresses", "jobTitle",
	"companyName", "department", "officeLocation", "profession", "businessHomePage", "assistantName", "manager",
	"homePhones", "mobilePhone", "businessPhones", "spouseName", "personalNotes", "children", "emailAddresses",
	"homeAddress", "businessAddress", "otherAddress"}

func TestCreateContactShape(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "/me/contacts", person("Ada", "Lovelace", "ada@example.com")).want(t, http.StatusCreated)
	if got := keys(t, r.body); !slices.Equal(got, recordedContactKeys) {
		t.Errorf("members\n got %v\nwant %v", got, recordedContactKeys)
	}
	c := r.json(t)
	if c["displayName"] != "Ada Lovelace" {
		t.Errorf("displayName %v: generated from the name parts when not sent", c["displayName"])
	}
	for name, want := range map[string]any{"initials": nil, "birthday": nil, "mobilePhone": nil, "fileAs": "", "personalNotes": ""} {
		if c[name] != want {
			t.Errorf("%s = %#v, want %#v", name, c[name], want)
		}
	}
	for _, name := range []string{"categories", "imAddresses", "homePhones", "businessPhones", "children"} {
		if l, ok := c[name].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", name, c[name])
		}
	}
	if a, ok := c["homeAddress"].(map[string]any); !ok || len(a) != 0 {
		t.Errorf("homeAddress = %#v, want {}", c["homeAddress"])
	}
	ck := c["changeKey"].(string)
	if c["@odata.etag"] != `W/"`+ck+`"` || !strings.HasPrefix(ck, "EQAAABYAAAA") {
		t.Errorf("@odata.etag %v changeKey %v (reference §4: etag = W/\"<changeKey>\")", c["@odata.etag"], ck)
	}
	if id := c["id"].(string); !strings.HasPrefix(id, "AAMkA") || !strings.HasSuffix(id, "=") {
		t.Errorf("id %s: not an Exchange id", id)
	}
	if c["parentFolderId"] != e.u.DefaultFolderID() || c["createdDateTime"] != "2026-03-01T09:00:00Z" {
		t.Errorf("parentFolderId %v createdDateTime %v", c["parentFolderId"], c["createdDateTime"])
	}
	if r.header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied without a Prefer header")
	}

	r = e.do("POST", "/me/contacts", person("Grace", "Hopper"), "Prefer", immutable).want(t, http.StatusCreated)
	if id := r.json(t)["id"].(string); !strings.HasPrefix(id, "AAkALg") {
		t.Errorf("id %s with Prefer: IdType=\"ImmutableId\"", id)
	}
	if got := r.header.Get("Preference-Applied"); got != immutable {
		t.Errorf("Preference-Applied %q", got)
	}
}

func TestContactBodyValidation(t *testing.T) {
	e := newEnv(t, Options{})
	for _, tc := range []struct {
		name string
		body string
		code int
		err  string
	}{
		{"beta-only phones", `{"givenName":"A","phones":[{"number":"1"}]}`, 400, "RequestBodyRead"},
		{"beta-only websites", `{"websites":[]}`, 400, "RequestBodyRead"},
		{"property names are case-sensitive", `{"GivenName":"A"}`, 400, "RequestBodyRead"},
		{"a string where a collection goes", `{"businessPhones":"+1 555"}`, 400, "RequestBodyRead"},
		{"a number where a string goes", `{"givenName":7}`, 400, "RequestBodyRead"},
		{"emailAddress has no type", `{"emailAddresses":[{"address":"a@b.c","type":"home"}]}`, 400, "RequestBodyRead"},
		{"physicalAddress has no poBox", `{"homeAddress":{"poBox":"1"}}`, 400, "RequestBodyRead"},
		{"year-less birthday", `{"birthday":"--07-22"}`, 400, "RequestBodyRead"},
		{"wrong @odata.type", `{"@odata.type":"#microsoft.graph.person"}`, 400, "RequestBodyRead"},
		{"not JSON", `{"givenName":`, 400, "RequestBodyRead"},
		{"empty body", ``, 400, "RequestBodyRead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("POST", "/me/contacts", []byte(tc.body)).wantError(t, tc.code, tc.err)
		})
	}
	if n := len(e.u.Contacts()); n != 0 {
		t.Errorf("refused writes stored %d contacts", n)
	}

	t.Run("read-only properties are ignored", func(t *testing.T) {
		c := e.create(map[string]any{"givenName": "A", "id": "x", "changeKey": "y", "parentFolderId": "z", "@odata.etag": `W/"q"`})
		if c["id"] == "x" || c["changeKey"] == "y" || c["parentFolderId"] != e.u.DefaultFolderID() {
			t.Errorf("read-only properties taken from the body: %v", c)
		}
	})
	for _, tc := range []struct{ in, want string }{
		{"1974-07-22", "1974-07-22T00:00:00Z"},
		{"1974-07-22T00:00:00Z", "1974-07-22T00:00:00Z"},
		{"1974-07-22T00:00:00+02:00", "1974-07-21T22:00:00Z"},
	} {
		t.Run("birthday "+tc.in, func(t *testing.T) {
			if got := e.create(map[string]any{"birthday": tc.in})["birthday"]; got != tc.want {
				t.Errorf("birthday %v, want %s (DateTimeOffset in UTC, reference §2)", got, tc.want)
			}
		})
	}
}

func TestPatchMergesAndRegeneratesDisplayName(t *testing.T) {
	for _, tc := range []struct {
		rule                  DisplayNameRule
		afterPhone, afterName string
	}{
		{DisplayNameRegenerated, "Ada Lovelace", "Augusta Lovelace"},
		{DisplayNameOnNameChange, "Countess", "Augusta Lovelace"},
		{DisplayNameKept, "Countess", "Countess"},
	} {
		t.Run(fmt.Sprint(tc.rule), func(t *testing.T) {
			e := newEnv(t, Options{DisplayName: tc.rule})
			c := e.create(map[string]any{"givenName": "Ada", "surname": "Lovelace", "displayName": "Countess",
				"jobTitle": "Analyst", "businessPhones": []string{"+44 1"}})
			id, ck := c["id"].(string), c["changeKey"]
			if c["displayName"] != "Countess" {
				t.Fatalf("displayName sent on create not kept: %v", c["displayName"])
			}
			r := e.do("PATCH", "/me/contacts/"+id, map[string]any{"mobilePhone": "+44 7700"}).want(t, http.StatusOK)
			if got := keys(t, r.body); !slices.Equal(got, recordedContactKeys) {
				t.Errorf("PATCH answer is not the full contact: %v", got)
			}
			c = r.json(t)
			if c["displayName"] != tc.afterPhone || c["jobTitle"] != "Analyst" || c["mobilePhone"] != "+44 7700" {
				t.Errorf("after a phone PATCH: displayName %v jobTitle %v mobilePhone %v", c["displayName"], c["jobTitle"], c["mobilePhone"])
			}
			if c["changeKey"] == ck {
				t.Errorf("changeKey unchanged by a PATCH")
			}
			c = e.do("PATCH", "/me/contacts/"+id, map[string]any{"givenName": "Augusta"}).want(t, http.StatusOK).json(t)
			if c["displayName"] != tc.afterName {
				t.Errorf("after a name PATCH: displayName %v, want %s", c["displayName"], tc.afterName)
			}
			c = e.do("PATCH", "/me/contacts/"+id, map[string]any{"givenName": "Ada", "displayName": "Countess"}).want(t, http.StatusOK).json(t)
			if c["displayName"] != "Countess" {
				t.Errorf("displayName sent in the PATCH not kept: %v", c["displayName"])
			}
			c = e.do("PATCH", "/me/contacts/"+id, map[string]any{"jobTitle": nil, "businessPhones": nil}).want(t, http.StatusOK).json(t)
			if c["jobTitle"] != nil || len(c["businessPhones"].([]any)) != 0 {
				t.Errorf("null did not clear: jobTitle %v businessPhones %v", c["jobTitle"], c["businessPhones"])
			}
		})
	}
}

func TestIfMatch(t *testing.T) {
	// The 412 body recorded in reference §4.
	const recorded412 = "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."
	e := newEnv(t, Options{})
	c := e.create(person("Ada", "Lovelace"))
	id, stale := c["id"].(string), c["@odata.etag"].(string)
	fresh := e.do("PATCH", "/me/contacts/"+id, map[string]any{"jobTitle": "x"}, "If-Match", stale).want(t, http.StatusOK).json(t)["@odata.etag"].(string)
	for _, tc := range []struct {
		name, method, etag string
		body               any
		code               int
	}{
		{"PATCH stale", "PATCH", stale, map[string]any{"jobTitle": "y"}, 412},
		{"DELETE stale", "DELETE", stale, nil, 412},
		{"PATCH bare changeKey", "PATCH", strings.TrimSuffix(strings.TrimPrefix(fresh, `W/"`), `"`), map[string]any{"jobTitle": "y"}, 412},
		{"PATCH star", "PATCH", "*", map[string]any{"jobTitle": "z"}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, "/me/contacts/"+id, tc.body, "If-Match", tc.etag)
			if tc.code == 200 {
				r.want(t, 200)
				return
			}
			if g := r.wantError(t, 412, "ErrorIrresolvableConflict"); g.Error.Message != recorded412 {
				t.Errorf("message %q", g.Error.Message)
			}
		})
	}
	if got, _ := e.u.Contact(id); got.JobTitle != "z" {
		t.Errorf("jobTitle %q: a refused write was applied", got.JobTitle)
	}

	t.Run("IgnoreIfMatch", func(t *testing.T) {
		e := newEnv(t, Options{IgnoreIfMatch: true})
		c := e.create(person("Ada", "Lovelace"))
		id, stale := c["id"].(string), c["@odata.etag"].(string)
		e.do("PATCH", "/me/contacts/"+id, map[string]any{"jobTitle": "x"}).want(t, 200)
		e.do("PATCH", "/me/contacts/"+id, map[string]any{"jobTitle": "y"}, "If-Match", stale).want(t, 200)
	})
	t.Run("spontaneous 412 without If-Match", func(t *testing.T) {
		e.s.Fail(1, 412, 0)
		if g := e.do("PATCH", "/me/contacts/"+id, map[string]any{"jobTitle": "w"}).wantError(t, 412, "ErrorIrresolvableConflict"); g.Error.Message != recorded412 {
			t.Errorf("message %q", g.Error.Message)
		}
	})
}

func TestDeleteAndMissing(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.create(person("Ada", "Lovelace"))["id"].(string)
	e.do("DELETE", "/me/contacts/"+id, nil).want(t, http.StatusNoContent)
	for _, method := range []string{"GET", "PATCH", "DELETE"} {
		var body any
		if method == "PATCH" {
			body = map[string]any{"jobTitle": "x"}
		}
		e.do(method, "/me/contacts/"+id, body).wantError(t, 404, "ErrorItemNotFound")
	}
	e.do("GET", "/me/contacts/not-an-id", nil).wantError(t, 400, "ErrorInvalidIdMalformed")
	e.do("GET", "/me/contacts/"+id+"/nonsense", nil).wantError(t, 400, "BadRequest")
	e.do("PUT", "/me/contacts/"+id, map[string]any{}).wantError(t, 405, "Request_BadRequest")
}

func TestIDsAcrossMoves(t *testing.T) {
	for _, tc := range []struct {
		name          string
		stable        bool
		oldRegularGET int
	}{
		{"ids change on move", false, 404},
		{"StableIDs", true, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{StableIDs: tc.stable})
			c := e.create(person("Ada", "Lovelace"), "Prefer", immutable)
			imm := c["id"].(string)
			old := e.u.RegularID(imm)
			e.do("GET", "/me/contacts/"+old, nil).want(t, 200)
			friends := e.u.AddFolder("", "Friends")
			moved := e.u.Move(imm, friends)
			if tc.stable != (moved == old) {
				t.Errorf("regular id after move %s, before %s", moved, old)
			}
			r := e.do("GET", "/me/contacts/"+old, nil)
			if r.code != tc.oldRegularGET {
				t.Errorf("GET old regular id: %d, want %d", r.code, tc.oldRegularGET)
			}
			got := e.do("GET", "/me/contacts/"+imm, nil, "Prefer", immutable).want(t, 200).json(t)
			if got["id"] != imm || got["parentFolderId"] != friends {
				t.Errorf("immutable id after move: id %v folder %v", got["id"], got["parentFolderId"])
			}
			if got := e.do("GET", "/me/contacts/"+imm, nil).want(t, 200).json(t); got["id"] != moved {
				t.Errorf("without the Prefer header the id is %v, want the regular id %s", got["id"], moved)
			}
			e.do("GET", "/me/contactFolders/"+friends+"/contacts/"+moved, nil).want(t, 200)
			e.do("GET", "/me/contactFolders/contacts/contacts/"+moved, nil).wantError(t, 404, "ErrorItemNotFound")
		})
	}
}

func TestCaps(t *testing.T) {
	four := person("A", "B", "1@x.test", "2@x.test", "3@x.test", "4@x.test")
	four["businessPhones"] = []string{"1", "2", "3"}
	e := newEnv(t, Options{})
	c := e.create(four)
	if n, m := len(c["emailAddresses"].([]any)), len(c["businessPhones"].([]any)); n != 3 || m != 2 {
		t.Errorf("%d emails, %d business phones kept; Outlook has 3 and 2 slots (reference §10.6)", n, m)
	}
	e = newEnv(t, Options{Caps: Caps{Reject: true}})
	e.do("POST", "/me/contacts", four).wantError(t, 400, "BadRequest")
	e = newEnv(t, Options{Caps: Caps{Emails: -1, BusinessPhones: -1}})
	if n := len(e.create(four)["emailAddresses"].([]any)); n != 4 {
		t.Errorf("uncapped: %d emails", n)
	}
}

func TestListPagingAndScope(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 25 {
		e.u.Put(Contact{GivenName: fmt.Sprintf("P%02d", i)})
	}
	other := e.u.AddFolder("", "Work")
	elsewhere := e.u.Put(Contact{GivenName: "Elsewhere", ParentFolderID: other})

	var got []string
	link := "/me/contacts"
	var sizes []int
	for link != "" {
		p := e.page(link)
		sizes = append(sizes, len(p.Value))
		for _, v := range p.Value {
			got = append(got, v["givenName"].(string))
		}
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, e.s.URL()+"/me/contacts?") {
			t.Fatalf("nextLink %s is not an absolute link to the fake", p.NextLink)
		}
		link = p.NextLink
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) || len(got) != 25 || slices.Contains(got, "Elsewhere") {
		t.Errorf("pages of %v, %d contacts (default page size 10, reference §7; default folder only)", sizes, len(got))
	}
	if p := e.page("/me/contacts?$top=7&$count=true"); len(p.Value) != 7 || !strings.Contains(p.NextLink, "$skip=7") || p.Count == nil || *p.Count != 25 {
		t.Errorf("$top=7: %d items, nextLink %q, count %v", len(p.Value), p.NextLink, p.Count)
	}
	r := e.do("GET", "/me/contacts", nil, "Prefer", "odata.maxpagesize=4").want(t, 200)
	var p page
	r.into(t, &p)
	if len(p.Value) != 4 || r.header.Get("Preference-Applied") != "odata.maxpagesize=4" {
		t.Errorf("maxpagesize=4: %d items, Preference-Applied %q", len(p.Value), r.header.Get("Preference-Applied"))
	}
	if p := e.page("/me/contactFolders/" + other + "/contacts"); len(p.Value) != 1 || p.Value[0]["givenName"] != "Elsewhere" {
		t.Errorf("folder listing %v", p.Value)
	}
	e.do("GET", "/me/contacts/"+e.u.RegularID(elsewhere), nil).want(t, 200)
	e.do("GET", "/users/"+e.u.UserPrincipalName()+"/contacts/"+elsewhere, nil).want(t, 200)
	if p := e.page("/me/contacts?$orderby=givenName%20desc&$top=1"); p.Value[0]["givenName"] != "P24" {
		t.Errorf("$orderby desc: %v", p.Value[0]["givenName"])
	}
	if p := e.page("/me/contacts?$filter=startswith(givenName,'p1')"); len(p.Value) != 10 {
		t.Errorf("startswith filter: %d", len(p.Value))
	}
	e.do("GET", "/me/contacts?$search=P01", nil).wantError(t, 501, "graphtest.NotImplemented")
	e.do("GET", "/me/contacts?$top=0", nil).wantError(t, 400, "BadRequest")
}

func TestSelect(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.u.Put(Contact{GivenName: "Ada", Surname: "Lovelace"})
	r := e.do("GET", "/me/contacts/"+id+"?$select=surname,displayName", nil).want(t, 200)
	if got := keys(t, r.body); !slices.Equal(got, []string{"@odata.context", "@odata.etag", "id", "displayName", "surname"}) {
		t.Errorf("$select members %v", got)
	}
	e.do("GET", "/me/contacts/"+id+"?$select=phones", nil).wantError(t, 400, "RequestBroker--ParseUri")
	e.do("GET", "/me/contacts?$bogus=1", nil).wantError(t, 400, "BadRequest")
}

func TestUserEditsShowThroughTheAPI(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.u.Put(Contact{GivenName: "Ada", Surname: "Lovelace"})
	before := e.do("GET", "/me/contacts/"+id, nil).want(t, 200).json(t)
	e.clock.Add(time.Minute)
	e.u.Edit(id, func(c *Contact) { c.MobilePhone = "+44 7700 900000" })
	after := e.do("GET", "/me/contacts/"+id, nil).want(t, 200).json(t)
	if after["mobilePhone"] != "+44 7700 900000" || after["changeKey"] == before["changeKey"] ||
		after["lastModifiedDateTime"] != "2026-03-01T09:01:00Z" || after["createdDateTime"] != before["createdDateTime"] {
		t.Errorf("after an edit on the phone: %v", after)
	}
	if !e.u.SoftDelete(id) || e.u.Delete(id) {
		t.Errorf("SoftDelete then Delete of a gone contact")
	}
	e.do("GET", "/me/contacts/"+id, nil).wantError(t, 404, "ErrorItemNotFound")
}
