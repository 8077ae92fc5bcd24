package googletest

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	groupPrefix = "contactGroups/"
	myContacts  = "contactGroups/myContacts"
	// The most names members:modify takes, adds and removes together.
	maxModifyMembers = 1000
	maxMembersAll    = math.MaxInt32
	groupPageSize    = 30
)

// A group is a contact group (label). Its members are the contacts whose
// memberships name it.
type group struct {
	name       string // contactGroups/…
	title      string // the name field
	formatted  string // formattedName of a system group
	clientData []GroupClientData
	system     bool
	addable    bool // accepts new members: user groups, myContacts, starred
	etag       string
	updated    time.Time
	seq        uint64
	deleted    bool
}

// systemGroups are the system groups every account has. Only myContacts
// and starred accept new members; the others are deprecated and only allow
// removal (reference §3).
func systemGroups() []systemGroup {
	return []systemGroup{
		{"myContacts", "My Contacts", true},
		{"starred", "Starred", true},
		{"friends", "Friends", false},
		{"family", "Family", false},
		{"coworkers", "Coworkers", false},
		{"chatBuddies", "Chat contacts", false},
	}
}

type systemGroup struct {
	id, formatted string
	addable       bool
}

func (u *User) sortedGroups() []*group {
	out := make([]*group, 0, len(u.groups))
	for _, g := range u.groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int { return strings.Compare(a.name, b.name) })
	return out
}

func (u *User) newGroup(title string, data []GroupClientData) *group {
	var name string
	for name == "" || u.groups[name] != nil {
		name = fmt.Sprintf("%s%x", groupPrefix, randomUint64()>>1)
	}
	g := &group{name: name, title: title, clientData: slices.Clone(data), addable: true}
	u.groups[name] = g
	u.touchGroup(g)
	return g
}

// touchGroup records a change to g: new etag, update time and sequence
// number (for contactGroups.list sync tokens).
func (u *User) touchGroup(g *group) {
	u.seq++
	g.seq, g.etag, g.updated = u.seq, newSourceETag(), u.s.now()
}

func (u *User) memberNames(group string) []string {
	var out []string
	for _, c := range u.sortedContacts() {
		if c.live() && slices.Contains(groupsOf(c.current().data), group) {
			out = append(out, c.name)
		}
	}
	return out
}

// renderGroup is g as the API returns it with the fields of m and up to
// maxMembers member names.
func (u *User) renderGroup(g *group, m mask, maxMembers int) Group {
	out := Group{ResourceName: g.name, ETag: g.etag}
	if g.deleted {
		out.Metadata = &GroupMetadata{UpdateTime: formatTime(g.updated), Deleted: true}
		return out
	}
	if m["name"] {
		out.Name, out.FormattedName = g.title, cmp.Or(g.formatted, g.title)
	}
	if m["groupType"] {
		out.GroupType = "USER_CONTACT_GROUP"
		if g.system {
			out.GroupType = "SYSTEM_CONTACT_GROUP"
		}
	}
	members := u.memberNames(g.name)
	if m["memberCount"] {
		out.MemberCount = int32(len(members))
	}
	if m["metadata"] {
		out.Metadata = &GroupMetadata{UpdateTime: formatTime(g.updated)}
	}
	if m["clientData"] {
		out.ClientData = slices.Clone(g.clientData)
	}
	if maxMembers > 0 {
		out.MemberResourceNames = members[:min(maxMembers, len(members))]
	}
	return out
}

func groupFieldsParam(raw string, valid, def string) (mask, *apiError) {
	m, err := parseMask(raw, "groupFields", valid, docContactGroups)
	if m == nil && err == nil {
		m = maskOf(def)
	}
	return m, err
}

type listContactGroupsResponse struct {
	ContactGroups []Group `json:"contactGroups,omitempty"`
	NextPageToken string  `json:"nextPageToken,omitempty"`
	NextSyncToken string  `json:"nextSyncToken,omitempty"`
	TotalItems    int32   `json:"totalItems,omitempty"`
}

// listGroups is GET v1/contactGroups: pageSize 1–1000 (default 30),
// pageToken, syncToken with tombstones for deleted groups (reference §3,
// §10.8). nextSyncToken comes on the last page.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	fields, err := groupFieldsParam(q.Get("groupFields"), groupReadFields, groupDefaultFields)
	if err != nil {
		return err
	}
	pageSize, err := pageSizeParam(q, groupPageSize)
	if err != nil {
		return err
	}
	rawSync, rawPage := q.Get("syncToken"), q.Get("pageToken")
	bindSync := bind("groups")
	bindPage := bind(bindSync, fields.canonical(), pageSize, rawSync)
	resp, err := withLock(s, func() (listContactGroupsResponse, *apiError) {
		u, now := c.u, s.now()
		var resp listContactGroupsResponse
		full, since, fullAt := true, uint64(0), now.UnixNano()
		if rawSync != "" {
			st, err := s.checkSync(rawSync, "g", u, bindSync, now)
			if err != nil {
				return resp, err
			}
			full, since, fullAt = false, st.Mark, st.Full
		}
		var pt pageToken
		if rawPage != "" {
			if !decodeToken(rawPage, &pt) || pt.Kind != "g" || pt.User != u.id || pt.Bind != bindPage {
				return resp, invalidPageToken()
			}
		} else {
			pt = pageToken{Kind: "g", User: u.id, Bind: bindPage, Mark: u.seq, Full: fullAt}
		}
		if err := s.charge(u, cost{bGroupReads, 1}); err != nil {
			return resp, err
		}
		var gs []*group
		for _, g := range u.groups {
			if (full && !g.deleted) || (!full && g.seq > since) {
				gs = append(gs, g)
			}
		}
		total := len(gs)
		slices.SortFunc(gs, func(a, b *group) int { return cmp.Compare(a.seq, b.seq) })
		i, _ := slices.BinarySearchFunc(gs, pt.Cursor+1, func(g *group, seq uint64) int { return cmp.Compare(g.seq, seq) })
		gs = gs[i:]
		page := gs[:min(pageSize, len(gs))]
		for _, g := range page {
			resp.ContactGroups = append(resp.ContactGroups, u.renderGroup(g, fields, 0))
		}
		resp.TotalItems = int32(total)
		if len(page) < len(gs) {
			next := pt
			next.Cursor = page[len(page)-1].seq
			resp.NextPageToken = encodeToken(next)
		} else {
			resp.NextSyncToken = encodeToken(syncToken{Kind: "g", User: u.id, Bind: bindSync, Mark: pt.Mark,
				Issued: now.UnixNano(), Full: pt.Full, Gen: s.syncGen})
		}
		return resp, nil
	})
	return reply(w, r, resp, err)
}

func maxMembersParam(r *http.Request) (int, *apiError) {
	n, err := queryInt(r.URL.Query(), "maxMembers")
	if err == nil && n < 0 {
		err = badRequest("max_members", "max_members must not be negative.")
	}
	return n, err
}

// getGroup is GET v1/contactGroups/{id}.
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	fields, err := groupFieldsParam(r.URL.Query().Get("groupFields"), groupReadFields, groupDefaultFields)
	if err != nil {
		return err
	}
	maxMembers, err := maxMembersParam(r)
	if err != nil {
		return err
	}
	g, err := withLock(s, func() (Group, *apiError) {
		if err := s.charge(c.u, cost{bGroupReads, 1}); err != nil {
			return Group{}, err
		}
		g := c.u.groups[c.resource]
		if g == nil || g.deleted {
			return Group{}, notFound()
		}
		return c.u.renderGroup(g, fields, maxMembers), nil
	})
	return reply(w, r, g, err)
}

type contactGroupResponse struct {
	ContactGroup          *Group     `json:"contactGroup,omitempty"`
	RequestedResourceName string     `json:"requestedResourceName,omitempty"`
	Status                *rpcStatus `json:"status,omitempty"`
}

type batchGetContactGroupsResponse struct {
	Responses []contactGroupResponse `json:"responses,omitempty"`
}

// batchGetGroups is GET v1/contactGroups:batchGet (≤ 200 names).
func (s *Server) batchGetGroups(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	fields, err := groupFieldsParam(q.Get("groupFields"), groupReadFields, groupDefaultFields)
	if err != nil {
		return err
	}
	maxMembers, err := maxMembersParam(r)
	if err != nil {
		return err
	}
	names, err := resourceNamesParam(q)
	if err != nil {
		return err
	}
	resp, err := withLock(s, func() (batchGetContactGroupsResponse, *apiError) {
		var resp batchGetContactGroupsResponse
		if err := s.charge(c.u, cost{bGroupReads, 1}); err != nil {
			return resp, err
		}
		for _, name := range names {
			g := c.u.groups[name]
			if g == nil || g.deleted {
				resp.Responses = append(resp.Responses, contactGroupResponse{RequestedResourceName: name, Status: itemStatus(notFound())})
				continue
			}
			rg := c.u.renderGroup(g, fields, maxMembers)
			resp.Responses = append(resp.Responses, contactGroupResponse{ContactGroup: &rg, RequestedResourceName: name, Status: &rpcStatus{}})
		}
		return resp, nil
	})
	return reply(w, r, resp, err)
}

type createContactGroupRequest struct {
	ContactGroup    *Group `json:"contactGroup,omitempty"`
	ReadGroupFields string `json:"readGroupFields,omitempty"`
}

type updateContactGroupRequest struct {
	ContactGroup      *Group `json:"contactGroup,omitempty"`
	ReadGroupFields   string `json:"readGroupFields,omitempty"`
	UpdateGroupFields string `json:"updateGroupFields,omitempty"`
}

func groupConflict(name string) *apiError {
	return &apiError{code: http.StatusConflict, status: "ALREADY_EXISTS",
		message: fmt.Sprintf("Contact group name %q already exists.", name)}
}

// nameTaken reports whether a group other than except is called name.
// System groups count under their name and formatted name.
func (u *User) nameTaken(name string, except *group) bool {
	for _, g := range u.groups {
		if g != except && !g.deleted && (strings.EqualFold(g.title, name) || strings.EqualFold(g.formatted, name)) {
			return true
		}
	}
	return false
}

// createGroup is POST v1/contactGroups; a duplicate name is 409 (reference
// §3).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var req createContactGroupRequest
	if err := decodeBody(r, &req, ""); err != nil {
		return err
	}
	fields, err := parseMask(req.ReadGroupFields, "readGroupFields", groupCreateReadFields, docContactGroups)
	if err != nil {
		return err
	}
	if fields == nil {
		fields = maskOf(groupWriteDefaultRead)
	}
	if req.ContactGroup == nil || strings.TrimSpace(req.ContactGroup.Name) == "" {
		return badRequest("contact_group.name", "contact_group.name is required.")
	}
	name := strings.TrimSpace(req.ContactGroup.Name)
	g, err := withLock(s, func() (Group, *apiError) {
		if c.u.nameTaken(name, nil) {
			return Group{}, groupConflict(name)
		}
		if err := s.charge(c.u, cost{bDeletes, 1}); err != nil {
			return Group{}, err
		}
		return c.u.renderGroup(c.u.newGroup(name, req.ContactGroup.ClientData), fields, 0), nil
	})
	return reply(w, r, g, err)
}

// updateGroup is PUT v1/contactGroups/{id}: it replaces the fields of
// updateGroupFields (default name). System groups cannot be changed; a
// stale etag, when one is sent, is refused as for contacts.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var req updateContactGroupRequest
	if err := decodeBody(r, &req, ""); err != nil {
		return err
	}
	upd, err := parseMask(req.UpdateGroupFields, "updateGroupFields", groupUpdateFields, docContactGroups)
	if err != nil {
		return err
	}
	if upd == nil {
		upd = maskOf("name")
	}
	fields, err := parseMask(req.ReadGroupFields, "readGroupFields", groupReadFields, docContactGroups)
	if err != nil {
		return err
	}
	if fields == nil {
		fields = maskOf(groupWriteDefaultRead)
	}
	if req.ContactGroup == nil {
		return badRequest("contact_group", "contact_group is required.")
	}
	in := req.ContactGroup
	name := strings.TrimSpace(in.Name)
	if upd["name"] && name == "" {
		return badRequest("contact_group.name", "contact_group.name is required.")
	}
	g, err := withLock(s, func() (Group, *apiError) {
		g := c.u.groups[c.resource]
		if g == nil || g.deleted {
			return Group{}, notFound()
		}
		if g.system {
			return Group{}, badRequest("contact_group", "System contact groups cannot be modified.")
		}
		if in.ETag != "" && in.ETag != g.etag {
			return Group{}, failedPrecondition("Request contactGroup.etag is different than the current contactGroup.etag. Clear local cache and get the latest contact group.")
		}
		if upd["name"] && c.u.nameTaken(name, g) {
			return Group{}, groupConflict(name)
		}
		if err := s.charge(c.u, cost{bDeletes, 1}); err != nil {
			return Group{}, err
		}
		if upd["name"] {
			g.title = name
		}
		if upd["clientData"] {
			g.clientData = slices.Clone(in.ClientData)
		}
		c.u.touchGroup(g)
		return c.u.renderGroup(g, fields, 0), nil
	})
	return reply(w, r, g, err)
}

// deleteGroup is DELETE v1/contactGroups/{id}[?deleteContacts=true]. Its
// members lose the membership (a new version each: their etags change);
// with deleteContacts they are deleted. A contact left in no group goes to
// myContacts, since a contact always keeps one membership.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	deleteContacts, err := queryBool(r.URL.Query(), "deleteContacts")
	if err != nil {
		return err
	}
	resp, err := withLock(s, func() (struct{}, *apiError) {
		u := c.u
		g := u.groups[c.resource]
		if g == nil || g.deleted {
			return struct{}{}, notFound()
		}
		if g.system {
			return struct{}{}, badRequest("resource_name", "System contact groups cannot be deleted.")
		}
		if err := s.charge(u, cost{bDeletes, 1}); err != nil {
			return struct{}{}, err
		}
		for _, name := range u.memberNames(g.name) {
			ct := u.contacts[name]
			if deleteContacts {
				u.remove(ct)
				continue
			}
			u.setGroups(ct, g.name, false)
		}
		g.deleted = true
		u.touchGroup(g)
		return struct{}{}, nil
	})
	return reply(w, r, resp, err)
}

// setGroups adds the contact to group or removes it from it, as a new
// version of the contact.
func (u *User) setGroups(ct *contact, group string, add bool) {
	cur := ct.current()
	data := clonePerson(cur.data)
	if add {
		data.Memberships = append(data.Memberships, membershipOf(group))
	} else {
		data.Memberships = slices.DeleteFunc(data.Memberships, func(m Membership) bool {
			return m.ContactGroupMembership != nil && m.ContactGroupMembership.ContactGroupResourceName == group
		})
	}
	u.fixMemberships(data)
	u.write(ct, live, data, cur.photo, cur.prev)
}

type modifyContactGroupMembersRequest struct {
	ResourceNamesToAdd    []string `json:"resourceNamesToAdd,omitempty"`
	ResourceNamesToRemove []string `json:"resourceNamesToRemove,omitempty"`
}

type modifyContactGroupMembersResponse struct {
	NotFoundResourceNames                     []string `json:"notFoundResourceNames,omitempty"`
	CanNotRemoveLastContactGroupResourceNames []string `json:"canNotRemoveLastContactGroupResourceNames,omitempty"`
}

// modifyMembers is POST v1/contactGroups/{id}/members:modify (≤ 1000 names
// in all). Every contact whose membership changes gets a new etag
// (reference §2.2).
func (s *Server) modifyMembers(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var req modifyContactGroupMembersRequest
	if err := decodeBody(r, &req, ""); err != nil {
		return err
	}
	if n := len(req.ResourceNamesToAdd) + len(req.ResourceNamesToRemove); n > maxModifyMembers {
		return badRequest("resource_names_to_add", fmt.Sprintf("Too many resource names: %d. resource_names_to_add and resource_names_to_remove together take at most %d.", n, maxModifyMembers))
	}
	resp, err := withLock(s, func() (modifyContactGroupMembersResponse, *apiError) {
		var resp modifyContactGroupMembersResponse
		u := c.u
		g := u.groups[c.resource]
		if g == nil || g.deleted {
			return resp, notFound()
		}
		if len(req.ResourceNamesToAdd) > 0 && !g.addable {
			return resp, badRequest("resource_names_to_add", fmt.Sprintf("Cannot add contacts to the system contact group %s: only user groups, myContacts and starred accept new members.", g.name))
		}
		if err := s.charge(u, cost{bDeletes, 1}); err != nil {
			return resp, err
		}
		for _, name := range req.ResourceNamesToAdd {
			ct := u.contacts[name]
			if ct == nil || !ct.live() {
				resp.NotFoundResourceNames = append(resp.NotFoundResourceNames, name)
				continue
			}
			if !slices.Contains(groupsOf(ct.current().data), g.name) {
				u.setGroups(ct, g.name, true)
			}
		}
		for _, name := range req.ResourceNamesToRemove {
			ct := u.contacts[name]
			if ct == nil || !ct.live() {
				resp.NotFoundResourceNames = append(resp.NotFoundResourceNames, name)
				continue
			}
			groups := groupsOf(ct.current().data)
			switch {
			case !slices.Contains(groups, g.name):
			case len(groups) == 1:
				resp.CanNotRemoveLastContactGroupResourceNames = append(resp.CanNotRemoveLastContactGroupResourceNames, name)
			default:
				u.setGroups(ct, g.name, false)
			}
		}
		return resp, nil
	})
	return reply(w, r, resp, err)
}
