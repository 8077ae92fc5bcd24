package graphtest

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// The client's own key on a contact (reference §2.1: "keep the bridge's
// stable UID in a singleValueExtendedProperties entry").
const uidProp = "String {2d4bc8a0-7b4f-4a36-9b1e-5c1a9b0b7e21} Name contactbridge.uid"

func expandUID(id string) string {
	return "?$expand=" + url.QueryEscape("singleValueExtendedProperties($filter=id eq '"+id+"')")
}

func filterUID(id, value string) string {
	return "?$filter=" + url.QueryEscape("singleValueExtendedProperties/Any(ep: ep/id eq '"+id+"' and ep/value eq '"+value+"')")
}

func extOf(c map[string]any) (map[string]string, bool) {
	list, ok := c["singleValueExtendedProperties"].([]any)
	out := map[string]string{}
	for _, p := range list {
		m := p.(map[string]any)
		out[m["id"].(string)] = m["value"].(string)
	}
	return out, ok
}

func TestExtendedPropertyRoundTrip(t *testing.T) {
	e := newEnv(t, Options{})
	body := person("Ada", "Lovelace")
	body["singleValueExtendedProperties"] = []map[string]string{{"id": uidProp, "value": "kXJ5pQ0vR2aS"}}
	c := e.create(body)
	if _, ok := c["singleValueExtendedProperties"]; ok {
		t.Errorf("extended properties in an answer without $expand: %v", c)
	}
	id := c["id"].(string)

	got, ok := extOf(e.do("GET", "/me/contacts/"+id+expandUID(uidProp), nil).want(t, 200).json(t))
	if !ok || got[uidProp] != "kXJ5pQ0vR2aS" {
		t.Errorf("expanded: %v", got)
	}
	// The GUID and the type are case-insensitive; the Name is not.
	upper := "string {2D4BC8A0-7B4F-4A36-9B1E-5C1A9B0B7E21} Name contactbridge.uid"
	if got, _ := extOf(e.do("GET", "/me/contacts/"+id+expandUID(upper), nil).want(t, 200).json(t)); got[uidProp] != "kXJ5pQ0vR2aS" {
		t.Errorf("GUID case mattered: %v", got)
	}
	other := "String {2d4bc8a0-7b4f-4a36-9b1e-5c1a9b0b7e21} Name ContactBridge.UID"
	if _, ok := extOf(e.do("GET", "/me/contacts/"+id+expandUID(other), nil).want(t, 200).json(t)); ok {
		t.Errorf("an expand matching no property must leave the member out")
	}

	e.do("PATCH", "/me/contacts/"+id, map[string]any{"singleValueExtendedProperties": []map[string]string{
		{"id": uidProp, "value": "second"}, {"id": "Integer {2d4bc8a0-7b4f-4a36-9b1e-5c1a9b0b7e21} Name rev", "value": "3"}}}).want(t, 200)
	stored, _ := e.u.Contact(id)
	if len(stored.SingleValueExtendedProperties) != 2 || stored.SingleValueExtendedProperties[0].Value != "second" {
		t.Errorf("after PATCH: %v (upserted by id)", stored.SingleValueExtendedProperties)
	}

	for _, tc := range []struct {
		name, query string
		code        int
		err         string
	}{
		{"expand without filter", "?$expand=singleValueExtendedProperties", 400, "BadRequest"},
		{"expand filter not on id", expandUID(uidProp)[:9] + url.QueryEscape("singleValueExtendedProperties($filter=value eq 'x')"), 400, "ErrorInvalidUrlQueryFilter"},
		{"multi-value", "?$expand=multiValueExtendedProperties", 501, "graphtest.NotImplemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("GET", "/me/contacts/"+id+tc.query, nil).wantError(t, tc.code, tc.err)
		})
	}
	for _, tc := range []struct{ name, id, value string }{
		{"malformed id", "contactbridge.uid", "x"},
		{"bad GUID", "String {not-a-guid} Name uid", "x"},
		{"Integer value not a number", "Integer {2d4bc8a0-7b4f-4a36-9b1e-5c1a9b0b7e21} Name n", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("PATCH", "/me/contacts/"+id, map[string]any{"singleValueExtendedProperties": []map[string]string{{"id": tc.id, "value": tc.value}}}).
				wantError(t, 400, "BadRequest")
		})
	}

	t.Run("ExpandAllExtendedProperties", func(t *testing.T) {
		e := newEnv(t, Options{ExpandAllExtendedProperties: true})
		e.create(body)
		p := e.page("/me/contacts?$expand=singleValueExtendedProperties")
		if got, _ := extOf(p.Value[0]); got[uidProp] != "kXJ5pQ0vR2aS" {
			t.Errorf("expand all: %v", p.Value[0])
		}
	})
}

func TestExtendedPropertyFilter(t *testing.T) {
	e := newEnv(t, Options{})
	work := e.u.AddFolder("", "Work")
	want := e.u.Put(Contact{GivenName: "Ada", SingleValueExtendedProperties: []ExtendedProperty{{ID: uidProp, Value: "kXJ5pQ0vR2aS"}}})
	grace := e.u.Put(Contact{GivenName: "Grace", SingleValueExtendedProperties: []ExtendedProperty{{ID: uidProp, Value: "zzzzzzzzzzzz"}}})
	alan := e.u.Put(Contact{GivenName: "Alan"})
	inWork := e.u.Put(Contact{GivenName: "Edsger", ParentFolderID: work, SingleValueExtendedProperties: []ExtendedProperty{{ID: uidProp, Value: "kXJ5pQ0vR2aS"}}})

	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"value match", "/me/contacts" + filterUID(uidProp, "kXJ5pQ0vR2aS"), []string{want}},
		{"value is case-insensitive", "/me/contacts" + filterUID(uidProp, "KXJ5PQ0VR2AS"), []string{want}},
		{"Name is case-sensitive", "/me/contacts" + filterUID("String {2d4bc8a0-7b4f-4a36-9b1e-5c1a9b0b7e21} Name CONTACTBRIDGE.UID", "kXJ5pQ0vR2aS"), nil},
		{"no match", "/me/contacts" + filterUID(uidProp, "nope"), nil},
		{"scoped to the folder", "/me/contactFolders/" + work + "/contacts" + filterUID(uidProp, "kXJ5pQ0vR2aS"), []string{inWork}},
		{"or, case-insensitive", "/me/contacts?$filter=" + url.QueryEscape("givenName eq 'alan' or givenName eq 'Grace'"), sorted(grace, alan)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.page(tc.path, "Prefer", immutable)
			if got := ids(p.Value); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for _, v := range p.Value {
				if _, ok := v["singleValueExtendedProperties"]; ok {
					t.Errorf("a $filter answer includes the extended property (the documentation says it does not)")
				}
			}
		})
	}
	e.do("GET", "/me/contacts?$filter="+url.QueryEscape("singleValueExtendedProperties/any(ep: ep/value eq 'x')"), nil).
		wantError(t, http.StatusBadRequest, "ErrorInvalidUrlQueryFilter")
	e.do("GET", "/me/contacts?$filter="+url.QueryEscape("givenName eq"), nil).wantError(t, http.StatusBadRequest, "ErrorInvalidUrlQueryFilter")
	e.do("GET", "/me/contacts?$filter="+url.QueryEscape("nosuch eq 'x'"), nil).wantError(t, http.StatusBadRequest, "ErrorInvalidUrlQueryFilter")

	e.u.Edit(want, func(c *Contact) { c.EmailAddresses = []EmailAddress{{Name: "Ada", Address: "ada@example.com"}} })
	p := e.page("/me/contacts?$filter="+url.QueryEscape("emailAddresses/any(a: a/address eq 'ADA@example.com')"), "Prefer", immutable)
	if got := ids(p.Value); len(got) != 1 || got[0] != want {
		t.Errorf("emailAddresses/any: %v", got)
	}
}
