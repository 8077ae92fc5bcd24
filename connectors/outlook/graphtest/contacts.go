package graphtest

import (
	"net/http"
	"slices"
	"strconv"
)

func errIDMalformed() *graphError {
	return newError(http.StatusBadRequest, "ErrorInvalidIdMalformed", "Id is malformed.")
}

// contextURL is the @odata.context of an answer about u.
func (s *Server) contextURL(u *User, what string) string {
	return s.base + "/v1.0/$metadata#users('" + u.id + "')/" + what
}

// folderOf resolves the folder a route names: the default folder for
// /me/contacts…, else contactFolders/{id}/childFolders/{id}…, each child
// checked against its parent. Callers hold s.mu.
func (c *call) folderOf(rt *route) (*folder, *graphError) {
	if rt.dflt {
		return c.u.defFolder, nil
	}
	var f *folder
	for i, id := range rt.path {
		if !eq(id, "contacts") && !wellFormedID(id) {
			return nil, errIDMalformed()
		}
		g := c.u.liveFolder(id)
		if g == nil || (i > 0 && g.current().parent != f.id) {
			return nil, errItemNotFound()
		}
		f = g
	}
	return f, nil
}

// contactOf resolves the contact a route names. Through /me/contacts/{id}
// any contact of the mailbox is reached; through a folder path only one in
// that folder. Callers hold s.mu.
func (c *call) contactOf(rt *route) (*contact, *folder, *graphError) {
	f, err := c.folderOf(rt)
	if err != nil {
		return nil, nil, err
	}
	if !wellFormedID(rt.item) {
		return nil, nil, errIDMalformed()
	}
	ct, _ := c.u.lookup(rt.item)
	if ct == nil || !ct.live() || (!rt.dflt && ct.current().folder != f.id) {
		return nil, nil, errItemNotFound()
	}
	return ct, f, nil
}

// idOf is the id a contact has in c's answers: the immutable id with
// Prefer: IdType="ImmutableId" (reference §1, §10.3), else the id of the
// folder it is in at version v, which changes on moves.
func (c *call) idOf(ct *contact, v *version) string {
	if c.prefs.immutableIDs {
		return ct.immutableID
	}
	return v.regularID
}

// preferenceApplied adds the Preference-Applied header for what c's
// answer honoured.
func (c *call) preferenceApplied(r *response, pageSize int) *response {
	var applied []string
	if c.prefs.immutableIDs {
		applied = append(applied, `IdType="ImmutableId"`)
	}
	if pageSize > 0 {
		applied = append(applied, "odata.maxpagesize="+strconv.Itoa(pageSize))
	}
	for _, a := range applied {
		r.header.Add("Preference-Applied", a)
	}
	return r
}

// renderContact is a contact as Graph returns it: @odata.etag and id
// always, then the selected properties in Graph's order, then the expanded
// extended properties that exist (none: the member is left out).
func (c *call) renderContact(ct *contact, v *version, sel selection, exp expansion) object {
	o := object{{"@odata.etag", etagOf(v)}, {"id", c.idOf(ct, v)}}
	if sel.keep("createdDateTime") {
		o = append(o, member{"createdDateTime", v.created.UTC().Format(timeFormat)})
	}
	if sel.keep("lastModifiedDateTime") {
		o = append(o, member{"lastModifiedDateTime", v.modified.UTC().Format(timeFormat)})
	}
	if sel.keep("changeKey") {
		o = append(o, member{"changeKey", v.changeKey})
	}
	o = renderProps(o, v.data, func(name string) bool { return name == "categories" && sel.keep(name) })
	if sel.keep("parentFolderId") {
		o = append(o, member{"parentFolderId", v.folder})
	}
	o = renderProps(o, v.data, func(name string) bool { return name != "categories" && sel.keep(name) })
	if exp.ext {
		var props []ExtendedProperty
		for _, p := range v.data.SingleValueExtendedProperties {
			k, _, _ := extKey(p.ID)
			if exp.ids == nil || slices.Contains(exp.ids, k) {
				props = append(props, p)
			}
		}
		if len(props) > 0 {
			o = append(o, member{"singleValueExtendedProperties", props})
		}
	}
	return o
}

// getContact is GET /me/contacts/{id} (and the folder paths), with $select
// and $expand.
func (s *Server) getContact(c *call, rt *route) *response {
	q, err := s.parseQuery(c.query, "contact", "$expand")
	if err != nil {
		return c.errorResponse(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, _, err := c.contactOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	body := append(object{{"@odata.context", s.contextURL(c.u, "contacts/$entity")}}, c.renderContact(ct, ct.current(), q.sel, q.exp)...)
	return c.preferenceApplied(jsonResponse(http.StatusOK, body), 0)
}

// listContacts is GET /me/contacts (the default folder, reference §1) or
// /me/contactFolders/{id}/contacts: pages of $top, Prefer:
// odata.maxpagesize or PageSize items (reference §7), linked by an
// absolute @odata.nextLink carrying $skip.
func (s *Server) listContacts(c *call, rt *route) *response {
	q, err := s.parseQuery(c.query, "contact", "$expand", "$filter", "$orderby", "$top", "$skip", "$count")
	if err != nil {
		return c.errorResponse(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := c.folderOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	type item struct {
		ct *contact
		v  *version
	}
	var items []item
	for _, ct := range c.u.order {
		v := ct.current()
		if v.removed || v.folder != f.id {
			continue
		}
		ok, err := matches(q.filter, contactResolver(v, c.idOf(ct, v)))
		if err != nil {
			return c.errorResponse(err)
		}
		if ok {
			items = append(items, item{ct, v})
		}
	}
	sortBy(items, q.orderBy, func(it item, prop string) string {
		s, _ := contactResolver(it.v, c.idOf(it.ct, it.v))(prop)
		str, _ := s.(string)
		return str
	})
	page, next, applied := c.page(len(items), q, s.opts.PageSize)
	body := object{{"@odata.context", s.contextURL(c.u, "contacts")}}
	if q.count {
		body = append(body, member{"@odata.count", len(items)})
	}
	values := []object{}
	for _, it := range items[page.lo:page.hi] {
		values = append(values, c.renderContact(it.ct, it.v, q.sel, q.exp))
	}
	body = append(body, member{"value", values})
	if next != "" {
		body = append(body, member{"@odata.nextLink", s.base + "/v1.0" + c.rawPath + "?" + next})
	}
	return c.preferenceApplied(jsonResponse(http.StatusOK, body), applied)
}

type span struct{ lo, hi int }

// page picks the slice of n items a plain listing returns and the query
// of the next page's link ("" for the last page). The page size is $top,
// else Prefer: odata.maxpagesize (reported back in Preference-Applied),
// else def.
func (c *call) page(n int, q queryOptions, def int) (span, string, int) {
	size, applied := def, 0
	switch {
	case q.top > 0:
		size = q.top
	case c.prefs.maxPageSize > 0:
		size = min(c.prefs.maxPageSize, maxPageSize)
		applied = size
	}
	lo := min(q.skip, n)
	hi := min(lo+size, n)
	if hi >= n {
		return span{lo, hi}, "", applied
	}
	next := c.query
	next = cloneValues(next)
	next.Set("$skip", strconv.Itoa(hi))
	return span{lo, hi}, linkQuery(next), applied
}

func cloneValues(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// createContact is POST /me/contacts (the default folder) or POST
// /me/contactFolders/{id}/contacts: 201 with the created contact
// (reference §1, §10.5). Without displayName one is generated from the
// name parts.
func (s *Server) createContact(c *call, rt *route) *response {
	p, err := decodeContact(c.body)
	if err != nil {
		return c.errorResponse(err)
	}
	data := cloneContact(&p.values)
	data.SingleValueExtendedProperties = upsertExtended(nil, p.ext)
	if !p.present["displayName"] {
		data.DisplayName = generatedDisplayName(data)
	}
	if err := capContact(s.opts.Caps, data); err != nil {
		return c.errorResponse(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := c.folderOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	ct := c.u.create(f.id, data)
	body := append(object{{"@odata.context", s.contextURL(c.u, "contacts/$entity")}}, c.renderContact(ct, ct.current(), nil, expansion{})...)
	return c.preferenceApplied(jsonResponse(http.StatusCreated, body), 0)
}

// checkIfMatch answers a stale If-Match with 412 ErrorIrresolvableConflict
// (reference §4), unless Options.IgnoreIfMatch. The header must be the
// contact's @odata.etag (or *).
func (s *Server) checkIfMatch(c *call, v *version) *graphError {
	im := c.header.Get("If-Match")
	if s.opts.IgnoreIfMatch || im == "" || im == "*" || im == etagOf(v) {
		return nil
	}
	return errConflict()
}

// updateContact is PATCH /me/contacts/{id}: properties in the body replace
// theirs, the others keep their values, displayName is regenerated unless
// the body has it (reference §1, §10.4), and the answer is the full
// updated contact with a new changeKey.
func (s *Server) updateContact(c *call, rt *route) *response {
	p, err := decodeContact(c.body)
	if err != nil {
		return c.errorResponse(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, _, err := c.contactOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	cur := ct.current()
	if err := s.checkIfMatch(c, cur); err != nil {
		return c.errorResponse(err)
	}
	data := cloneContact(cur.data)
	nameChanged := false
	for _, d := range contactProps() {
		if !p.present[d.name] {
			continue
		}
		before := string(marshal(d.ptr(data)))
		copyProp(d, data, &p.values)
		if d.namePart && before != string(marshal(d.ptr(data))) {
			nameChanged = true
		}
	}
	if !p.present["displayName"] {
		regenerate := false
		switch s.opts.DisplayName {
		case DisplayNameRegenerated:
			regenerate = true
		case DisplayNameOnNameChange:
			regenerate = nameChanged
		}
		if g := generatedDisplayName(data); regenerate && g != "" {
			data.DisplayName = g
		}
	}
	data.SingleValueExtendedProperties = upsertExtended(data.SingleValueExtendedProperties, p.ext)
	if err := capContact(s.opts.Caps, data); err != nil {
		return c.errorResponse(err)
	}
	v := c.u.write(ct, func(v *version) { v.data = data })
	body := append(object{{"@odata.context", s.contextURL(c.u, "contacts/$entity")}}, c.renderContact(ct, v, nil, expansion{})...)
	return c.preferenceApplied(jsonResponse(http.StatusOK, body), 0)
}

// deleteContact is DELETE /me/contacts/{id}: 204, and the id answers 404
// from then on (reference §1, §10.5).
func (s *Server) deleteContact(c *call, rt *route) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, _, err := c.contactOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	if err := s.checkIfMatch(c, ct.current()); err != nil {
		return c.errorResponse(err)
	}
	c.u.removeContact(ct, s.opts.DeleteReason)
	return emptyResponse(http.StatusNoContent)
}
