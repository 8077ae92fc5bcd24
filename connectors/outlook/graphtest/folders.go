package graphtest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// renderFolder is a contactFolder as Graph returns it.
func renderFolder(f *folder, v *folderVersion, sel selection) object {
	o := object{{"id", f.id}}
	if sel.keep("parentFolderId") {
		o = append(o, member{"parentFolderId", v.parent})
	}
	if sel.keep("displayName") {
		o = append(o, member{"displayName", v.name})
	}
	return o
}

// listed reports whether f shows in GET /me/contactFolders (no folder in
// the path) or among the children of parent: top-level listings show the
// folders under the default Contacts folder, and that folder itself only
// with Options.ListDefaultFolder.
func (s *Server) listed(u *User, f *folder, parent *folder) bool {
	v := f.current()
	if v.deleted {
		return false
	}
	if parent != nil {
		return v.parent == parent.id
	}
	return v.parent == u.defFolder.id || (f == u.defFolder && s.opts.ListDefaultFolder)
}

// listFolders is GET /me/contactFolders and GET
// /me/contactFolders/{id}/childFolders, with $filter (displayName eq …,
// say), $orderby and paging.
func (s *Server) listFolders(c *call, rt *route) *response {
	q, err := s.parseQuery(c.query, "contactFolder", "$filter", "$orderby", "$top", "$skip", "$count")
	if err != nil {
		return c.errorResponse(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var parent *folder
	if rt.path != nil {
		if parent, err = c.folderOf(rt); err != nil {
			return c.errorResponse(err)
		}
	}
	var items []*folder
	for _, f := range c.u.folderList {
		if !s.listed(c.u, f, parent) {
			continue
		}
		ok, err := matches(q.filter, folderResolver(f))
		if err != nil {
			return c.errorResponse(err)
		}
		if ok {
			items = append(items, f)
		}
	}
	sortBy(items, q.orderBy, func(f *folder, prop string) string {
		v, _ := folderResolver(f)(prop)
		str, _ := v.(string)
		return str
	})
	pg, next, applied := c.page(len(items), q, s.opts.PageSize)
	body := object{{"@odata.context", s.contextURL(c.u, "contactFolders")}}
	if q.count {
		body = append(body, member{"@odata.count", len(items)})
	}
	values := []object{}
	for _, f := range items[pg.lo:pg.hi] {
		values = append(values, renderFolder(f, f.current(), q.sel))
	}
	body = append(body, member{"value", values})
	if next != "" {
		body = append(body, member{"@odata.nextLink", s.base + "/v1.0" + c.rawPath + "?" + next})
	}
	return c.preferenceApplied(jsonResponse(http.StatusOK, body), applied)
}

func folderResolver(f *folder) resolver {
	v := f.current()
	return fieldsResolver(map[string]string{"id": f.id, "displayName": v.name, "parentFolderId": v.parent})
}

// getFolder is GET /me/contactFolders/{id}; the id may be the well-known
// name "contacts" for the default folder (reference §1).
func (s *Server) getFolder(c *call, rt *route) *response {
	q, err := s.parseQuery(c.query, "contactFolder")
	if err != nil {
		return c.errorResponse(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := c.folderOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	body := append(object{{"@odata.context", s.contextURL(c.u, "contactFolders/$entity")}}, renderFolder(f, f.current(), q.sel)...)
	return jsonResponse(http.StatusOK, body)
}

// createFolder is POST /me/contactFolders (a folder under the default
// Contacts folder) or POST /me/contactFolders/{id}/childFolders, with body
// {"displayName": "…"}: 201 with the folder; a sibling of the same name
// is 409 ErrorFolderExists [U].
func (s *Server) createFolder(c *call, rt *route) *response {
	var raw map[string]json.RawMessage
	if json.Unmarshal(c.body, &raw) != nil {
		return c.errorResponse(errBodyRead("Invalid JSON in the request body."))
	}
	var name string
	for _, k := range sortedKeys(raw) {
		switch {
		case k == "displayName":
			if json.Unmarshal(raw[k], &name) != nil {
				return c.errorResponse(errNotString())
			}
		case k == "parentFolderId" || k == "id" || strings.HasPrefix(k, "@odata."):
		default:
			return c.errorResponse(errNoProperty(k, "contactFolder"))
		}
	}
	if strings.TrimSpace(name) == "" {
		return c.errorResponse(errBadRequest("The displayName of a contact folder is required."))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := c.u.defFolder
	if rt.path != nil {
		p, err := c.folderOf(rt)
		if err != nil {
			return c.errorResponse(err)
		}
		parent = p
	}
	for _, f := range c.u.folderList {
		if v := f.current(); !v.deleted && v.parent == parent.id && strings.EqualFold(v.name, name) {
			return c.errorResponse(newError(http.StatusConflict, "ErrorFolderExists", "A folder with the specified name already exists."))
		}
	}
	f := c.u.addFolder(parent.id, name)
	body := append(object{{"@odata.context", s.contextURL(c.u, "contactFolders/$entity")}}, renderFolder(f, f.current(), nil)...)
	return jsonResponse(http.StatusCreated, body)
}

// deleteFolder is DELETE /me/contactFolders/{id}: 204; its contacts and
// subfolders go with it. The default folder cannot be deleted.
func (s *Server) deleteFolder(c *call, rt *route) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := c.folderOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	if f == c.u.defFolder {
		return c.errorResponse(newError(http.StatusForbidden, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."))
	}
	c.u.deleteFolder(f, s.opts.DeleteReason)
	return emptyResponse(http.StatusNoContent)
}

// listCategories is GET /me/outlook/masterCategories (reference §1,
// §10.10). It needs MailboxSettings.Read, not a Contacts scope.
func (s *Server) listCategories(c *call, _ *route) *response {
	q, err := s.parseQuery(c.query, "outlookCategory", "$top", "$skip")
	if err != nil {
		return c.errorResponse(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pg, next, applied := c.page(len(c.u.categories), q, maxPageSize)
	values := []object{}
	for _, cat := range c.u.categories[pg.lo:pg.hi] {
		o := object{{"id", cat.ID}}
		if q.sel.keep("displayName") {
			o = append(o, member{"displayName", cat.DisplayName})
		}
		if q.sel.keep("color") {
			o = append(o, member{"color", cat.Color})
		}
		values = append(values, o)
	}
	body := object{{"@odata.context", s.contextURL(c.u, "outlook/masterCategories")}, {"value", values}}
	if next != "" {
		body = append(body, member{"@odata.nextLink", s.base + "/v1.0" + c.rawPath + "?" + next})
	}
	return c.preferenceApplied(jsonResponse(http.StatusOK, body), applied)
}
