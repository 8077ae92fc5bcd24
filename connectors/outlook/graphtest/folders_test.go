package graphtest

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

func TestContactFolders(t *testing.T) {
	e := newEnv(t, Options{})
	def := e.do("GET", "/me/contactFolders/contacts", nil).want(t, 200).json(t)
	if def["id"] != e.u.DefaultFolderID() || def["displayName"] != "Contacts" {
		t.Errorf("well-known folder contacts: %v", def)
	}
	if p := e.page("/me/contactFolders"); len(p.Value) != 0 {
		t.Errorf("GET /me/contactFolders lists %v; the default folder is not among its folders", p.Value)
	}

	work := e.do("POST", "/me/contactFolders", map[string]any{"displayName": "Work"}).want(t, http.StatusCreated).json(t)
	workID := work["id"].(string)
	if work["parentFolderId"] != e.u.DefaultFolderID() {
		t.Errorf("a top-level folder's parent is %v, want the default folder", work["parentFolderId"])
	}
	e.do("POST", "/me/contactFolders", map[string]any{"displayName": "WORK"}).wantError(t, http.StatusConflict, "ErrorFolderExists")
	e.do("POST", "/me/contactFolders", map[string]any{"displayName": "X", "color": "red"}).wantError(t, 400, "RequestBodyRead")
	e.do("POST", "/me/contactFolders", map[string]any{}).wantError(t, 400, "BadRequest")

	team := e.do("POST", "/me/contactFolders/"+workID+"/childFolders", map[string]any{"displayName": "Team"}).want(t, http.StatusCreated).json(t)
	teamID := team["id"].(string)
	if p := e.page("/me/contactFolders/" + workID + "/childFolders"); len(p.Value) != 1 || p.Value[0]["id"] != teamID {
		t.Errorf("childFolders %v", p.Value)
	}
	e.u.AddFolder("", "Family")
	if p := e.page("/me/contactFolders?$filter=" + url.QueryEscape("displayName eq 'work'")); len(p.Value) != 1 || p.Value[0]["id"] != workID {
		t.Errorf("$filter on displayName: %v", p.Value)
	}

	nested := "/me/contactFolders/" + workID + "/childFolders/" + teamID + "/contacts"
	c := e.do("POST", nested, person("Ada", "Lovelace"), "Prefer", immutable).want(t, http.StatusCreated).json(t)
	if c["parentFolderId"] != teamID {
		t.Errorf("created in %v, want Team", c["parentFolderId"])
	}
	if p := e.page(nested); len(p.Value) != 1 {
		t.Errorf("listing through childFolders: %v", p.Value)
	}
	e.do("GET", "/me/contactFolders/"+e.u.DefaultFolderID()+"/childFolders/"+teamID+"/contacts", nil).wantError(t, 404, "ErrorItemNotFound")
	e.do("GET", "/me/contactFolders/not-an-id/contacts", nil).wantError(t, 400, "ErrorInvalidIdMalformed")

	e.do("DELETE", "/me/contactFolders/contacts", nil).wantError(t, 403, "ErrorDeleteDistinguishedFolder")
	e.do("DELETE", "/me/contactFolders/"+workID, nil).want(t, http.StatusNoContent)
	e.do("GET", "/me/contacts/"+c["id"].(string), nil).wantError(t, 404, "ErrorItemNotFound")
	e.do("GET", "/me/contactFolders/"+teamID, nil).wantError(t, 404, "ErrorItemNotFound")
	var names []string
	for _, f := range e.u.Folders() {
		names = append(names, f.DisplayName)
	}
	if !slices.Equal(names, []string{"Contacts", "Family"}) {
		t.Errorf("folders left: %v", names)
	}

	e = newEnv(t, Options{ListDefaultFolder: true})
	if p := e.page("/me/contactFolders"); len(p.Value) != 1 || p.Value[0]["id"] != e.u.DefaultFolderID() {
		t.Errorf("ListDefaultFolder: %v", p.Value)
	}
}

func TestCategories(t *testing.T) {
	e := newEnv(t, Options{})
	e.create(map[string]any{"givenName": "A", "categories": []string{"Family"}})
	if got := e.u.Categories(); len(got) != 0 {
		t.Errorf("unknown category names are kept on the contact only: %v", got)
	}
	e = newEnv(t, Options{AutoAddCategories: true})
	e.u.AddCategory("family", "preset1")
	e.create(map[string]any{"givenName": "A", "categories": []string{"Family", "Chess club"}})
	got := e.u.Categories()
	if len(got) != 2 || got[1].DisplayName != "Chess club" || got[1].Color != "none" {
		t.Errorf("AutoAddCategories: %v", got)
	}
}
