package googletest

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
)

type groupsPage struct {
	ContactGroups []Group `json:"contactGroups"`
	NextPageToken string  `json:"nextPageToken"`
	NextSyncToken string  `json:"nextSyncToken"`
	TotalItems    int     `json:"totalItems"`
}

func (e *env) groups(query string) groupsPage {
	e.t.Helper()
	r := e.do("GET", "v1/contactGroups?"+query, nil)
	r.wantOK(e.t)
	var p groupsPage
	r.into(e.t, &p)
	return p
}

func TestListGroups(t *testing.T) {
	e := newEnv(t, Options{})
	p := e.groups("")
	byName := map[string]Group{}
	for _, g := range p.ContactGroups {
		byName[g.ResourceName] = g
	}
	my := byName["contactGroups/myContacts"]
	if my.GroupType != "SYSTEM_CONTACT_GROUP" || my.Name != "myContacts" || my.FormattedName != "My Contacts" ||
		my.ETag == "" || my.Metadata == nil || my.Metadata.UpdateTime == "" || my.ClientData != nil {
		t.Errorf("myContacts %+v", my)
	}
	if _, ok := byName["contactGroups/starred"]; !ok || p.NextSyncToken == "" || p.TotalItems != len(p.ContactGroups) {
		t.Errorf("list %+v", p)
	}
	// Default page size 30.
	for i := range 40 {
		e.u.PutGroup(Group{Name: fmt.Sprintf("Group %d", i)})
	}
	p = e.groups("")
	if len(p.ContactGroups) != 30 || p.NextPageToken == "" || p.NextSyncToken != "" {
		t.Errorf("first page of %d, next %q", len(p.ContactGroups), p.NextPageToken)
	}
	next := url.QueryEscape(p.NextPageToken)
	p = e.groups("pageToken=" + next)
	if len(p.ContactGroups) != 16 || p.NextSyncToken == "" {
		t.Errorf("second page of %d", len(p.ContactGroups))
	}
	e.do("GET", "v1/contactGroups?groupFields=name&pageToken="+next, nil).wantError(t, 400, "INVALID_ARGUMENT")
	e.do("GET", "v1/contactGroups?groupFields=members", nil).wantError(t, 400, "INVALID_ARGUMENT")
	// groupFields restricts the answer.
	p = e.groups("groupFields=name&pageSize=1")
	if g := p.ContactGroups[0]; g.Name == "" || g.GroupType != "" || g.Metadata != nil || g.ResourceName == "" || g.ETag == "" {
		t.Errorf("groupFields=name: %+v", g)
	}
}

func TestGroupCreateUpdateDelete(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "v1/contactGroups", map[string]any{"contactGroup": map[string]any{
		"name": "Family", "clientData": []map[string]string{{"key": "k", "value": "v"}}}})
	// "Family" is the formatted name of the deprecated system group family.
	r.wantError(t, 409, "ALREADY_EXISTS")
	r = e.do("POST", "v1/contactGroups", map[string]any{"contactGroup": map[string]any{
		"name": "Climbing", "clientData": []map[string]string{{"key": "k", "value": "v"}}}, "readGroupFields": "name,clientData,groupType"})
	r.wantOK(t)
	var g Group
	r.into(t, &g)
	if g.Name != "Climbing" || g.GroupType != "USER_CONTACT_GROUP" || len(g.ClientData) != 1 || g.ResourceName == "" {
		t.Fatalf("created %s", r.body)
	}
	e.do("POST", "v1/contactGroups", map[string]any{"contactGroup": map[string]any{"name": "climbing"}}).wantError(t, 409, "ALREADY_EXISTS")
	e.do("POST", "v1/contactGroups", map[string]any{"contactGroup": map[string]any{}}).wantError(t, 400, "INVALID_ARGUMENT")

	r = e.do("PUT", "v1/"+g.ResourceName, map[string]any{"contactGroup": map[string]any{"name": "Bouldering", "etag": g.ETag}})
	r.wantOK(t)
	var u Group
	r.into(t, &u)
	if u.Name != "Bouldering" || u.ETag == g.ETag {
		t.Errorf("updated %s", r.body)
	}
	e.do("PUT", "v1/"+g.ResourceName, map[string]any{"contactGroup": map[string]any{"name": "Again", "etag": g.ETag}}).
		wantError(t, 400, "FAILED_PRECONDITION")
	e.do("PUT", "v1/contactGroups/myContacts", map[string]any{"contactGroup": map[string]any{"name": "Mine"}}).
		wantError(t, 400, "INVALID_ARGUMENT")

	a := e.u.Put(person("Ada", "Lovelace"))
	b := e.u.Put(person("Grace", "Hopper"))
	e.do("POST", "v1/"+g.ResourceName+"/members:modify", map[string]any{"resourceNamesToAdd": []string{a, b}}).wantOK(t)
	// Only in the group: removing Grace from myContacts leaves her there.
	e.do("POST", "v1/contactGroups/myContacts/members:modify", map[string]any{"resourceNamesToRemove": []string{b}}).wantOK(t)

	r = e.do("GET", "v1/"+g.ResourceName+"?maxMembers=10", nil)
	r.wantOK(t)
	r.into(t, &u)
	if u.MemberCount != 2 || len(u.MemberResourceNames) != 2 {
		t.Errorf("get with maxMembers: %s", r.body)
	}

	e.do("DELETE", "v1/"+g.ResourceName, nil).wantOK(t)
	e.do("GET", "v1/"+g.ResourceName, nil).wantError(t, 404, "NOT_FOUND")
	// Members survive without the membership; one left in no group goes
	// back to myContacts.
	for _, p := range e.u.People() {
		if gs := groupsOf(&p); !slices.Equal(gs, []string{myContacts}) {
			t.Errorf("%s memberships after group delete: %v", p.ResourceName, gs)
		}
	}
	e.do("DELETE", "v1/contactGroups/starred", nil).wantError(t, 400, "INVALID_ARGUMENT")

	g2 := e.u.PutGroup(Group{Name: "Doomed"})
	e.do("POST", "v1/"+g2+"/members:modify", map[string]any{"resourceNamesToAdd": []string{a}}).wantOK(t)
	e.do("DELETE", "v1/"+g2+"?deleteContacts=true", nil).wantOK(t)
	if ps := e.u.People(); len(ps) != 1 || ps[0].ResourceName != b {
		t.Errorf("deleteContacts=true left %v", names(ps))
	}
}

func TestModifyMembers(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.u.Put(person("Ada", "Lovelace"))
	g := e.u.PutGroup(Group{Name: "Mathematicians"})
	r := e.do("POST", "v1/"+g+"/members:modify", map[string]any{
		"resourceNamesToAdd": []string{a, "people/c42"}, "resourceNamesToRemove": []string{"people/c43"}})
	r.wantOK(t)
	var got modifyContactGroupMembersResponse
	r.into(t, &got)
	if !slices.Equal(got.NotFoundResourceNames, []string{"people/c42", "people/c43"}) {
		t.Errorf("answered %s", r.body)
	}
	// A contact keeps at least one group (reference §3).
	e.do("POST", "v1/"+g+"/members:modify", map[string]any{"resourceNamesToRemove": []string{a}}).wantOK(t)
	r = e.do("POST", "v1/contactGroups/myContacts/members:modify", map[string]any{"resourceNamesToRemove": []string{a}})
	r.wantOK(t)
	r.into(t, &got)
	if !slices.Equal(got.CanNotRemoveLastContactGroupResourceNames, []string{a}) {
		t.Errorf("answered %s", r.body)
	}
	// Deprecated system groups take no new members; starred does.
	e.do("POST", "v1/contactGroups/coworkers/members:modify", map[string]any{"resourceNamesToAdd": []string{a}}).
		wantError(t, 400, "INVALID_ARGUMENT")
	e.do("POST", "v1/contactGroups/starred/members:modify", map[string]any{"resourceNamesToAdd": []string{a}}).wantOK(t)
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("people/c%d", i)
	}
	e.do("POST", "v1/"+g+"/members:modify", map[string]any{"resourceNamesToAdd": many[:600], "resourceNamesToRemove": many[600:]}).
		wantError(t, 400, "INVALID_ARGUMENT")
	e.do("POST", "v1/contactGroups/nope/members:modify", map[string]any{"resourceNamesToAdd": []string{a}}).
		wantError(t, 404, "NOT_FOUND")
}

func TestGroupSyncTokens(t *testing.T) {
	e := newEnv(t, Options{})
	keep := e.u.PutGroup(Group{Name: "Keep"})
	gone := e.u.PutGroup(Group{Name: "Gone"})
	p := e.groups("")
	if p.NextSyncToken == "" {
		t.Fatal("no sync token")
	}
	e.do("DELETE", "v1/"+gone, nil).wantOK(t)
	added := e.u.PutGroup(Group{Name: "Added"})
	p = e.groups("syncToken=" + url.QueryEscape(p.NextSyncToken))
	var got []string
	for _, g := range p.ContactGroups {
		got = append(got, g.ResourceName)
		if g.ResourceName == gone && (g.Metadata == nil || !g.Metadata.Deleted) {
			t.Errorf("deleted group without tombstone: %+v", g)
		}
	}
	slices.Sort(got)
	want := []string{gone, added}
	slices.Sort(want)
	if !slices.Equal(got, want) || slices.Contains(got, keep) {
		t.Errorf("group changes %v, want %v", got, want)
	}
	e.s.ExpireSyncTokens()
	e.do("GET", "v1/contactGroups?syncToken="+url.QueryEscape(p.NextSyncToken), nil).wantError(t, 400, "FAILED_PRECONDITION")
}

func TestBatchGetGroups(t *testing.T) {
	e := newEnv(t, Options{})
	g := e.u.PutGroup(Group{Name: "One"})
	r := e.do("GET", "v1/contactGroups:batchGet?resourceNames="+g+"&resourceNames=contactGroups/nope&maxMembers=5", nil)
	r.wantOK(t)
	var got batchGetContactGroupsResponse
	r.into(t, &got)
	if len(got.Responses) != 2 || got.Responses[0].ContactGroup.Name != "One" || got.Responses[1].Status.Code != 5 {
		t.Errorf("answered %s", r.body)
	}
	q := url.Values{}
	for i := range 201 {
		q.Add("resourceNames", fmt.Sprintf("contactGroups/%d", i))
	}
	e.do("GET", "v1/contactGroups:batchGet?"+q.Encode(), nil).wantError(t, 400, "INVALID_ARGUMENT")
	if gs := e.u.Groups(); len(gs) != 7 {
		t.Errorf("Groups() gave %d groups", len(gs))
	}
}
