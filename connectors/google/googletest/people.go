package googletest

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
)

// Batch limits (reference §0, §2, §10.5).
const (
	maxBatchGet    = 200
	maxBatchCreate = 200
	maxBatchUpdate = 200
	maxBatchDelete = 500
)

// personResponse is the People API PersonResponse.
type personResponse struct {
	HTTPStatusCode        int32      `json:"httpStatusCode,omitempty"`
	Person                *Person    `json:"person,omitempty"`
	RequestedResourceName string     `json:"requestedResourceName,omitempty"`
	Status                *rpcStatus `json:"status,omitempty"`
}

// rpcStatus is google.rpc.Status; the zero value (OK) encodes as {}.
type rpcStatus struct {
	Code    int32  `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Details []any  `json:"details,omitempty"`
}

// grpcCode maps the statuses the fake puts in PersonResponse to their
// google.rpc.Code numbers.
func grpcCode(status string) int32 {
	switch status {
	case "INVALID_ARGUMENT":
		return 3
	case "NOT_FOUND":
		return 5
	case "FAILED_PRECONDITION":
		return 9
	}
	return 2
}

func itemStatus(e *apiError) *rpcStatus {
	return &rpcStatus{Code: grpcCode(e.status), Message: e.message, Details: e.details}
}

// getPerson is GET v1/{resourceName=people/*}.
func (s *Server) getPerson(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	fields, err := personFieldsParam(q, docPeopleGet, true)
	if err != nil {
		return err
	}
	if _, err := sourcesParam(q["sources"], "sources"); err != nil {
		return err
	}
	p, err := withLock(s, func() (Person, *apiError) {
		if err := s.charge(c.u, cost{bReads, 1}); err != nil {
			return Person{}, err
		}
		return c.u.get(c.resource, fields)
	})
	return reply(w, r, p, err)
}

// get reads one person as people.get does: at once, without the
// propagation delay of listings.
func (u *User) get(name string, fields mask) (Person, *apiError) {
	if name == "people/me" {
		return u.profile(fields), nil
	}
	ct := u.contacts[name]
	if ct == nil || !ct.live() {
		return Person{}, notFound()
	}
	return u.render(ct, ct.current(), fields, modeGet), nil
}

type getPeopleResponse struct {
	Responses []personResponse `json:"responses,omitempty"`
}

// getBatchGet is GET v1/people:batchGet (≤ 200 resource names).
func (s *Server) getBatchGet(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	fields, err := personFieldsParam(q, docGetBatchGet, true)
	if err != nil {
		return err
	}
	if _, err := sourcesParam(q["sources"], "sources"); err != nil {
		return err
	}
	names, err := resourceNamesParam(q)
	if err != nil {
		return err
	}
	resp, err := withLock(s, func() (getPeopleResponse, *apiError) {
		var resp getPeopleResponse
		if err := s.charge(c.u, cost{bReads, 1}); err != nil {
			return resp, err
		}
		for _, name := range names {
			p, err := c.u.get(name, fields)
			if err != nil {
				resp.Responses = append(resp.Responses, personResponse{HTTPStatusCode: int32(err.code),
					RequestedResourceName: name, Status: itemStatus(err)})
				continue
			}
			resp.Responses = append(resp.Responses, personResponse{HTTPStatusCode: http.StatusOK, Person: &p,
				RequestedResourceName: name, Status: &rpcStatus{}})
		}
		return resp, nil
	})
	return reply(w, r, resp, err)
}

// checkSingletons refuses more than one value in a field that is a
// singleton for contact sources (reference §2, §10.4).
func checkSingletons(p *Person, path string) *apiError {
	for _, f := range []struct {
		name string
		n    int
	}{{"biographies", len(p.Biographies)}, {"birthdays", len(p.Birthdays)}, {"genders", len(p.Genders)}, {"names", len(p.Names)}} {
		if f.n > 1 {
			field := joinPath(path, f.name)
			return badRequest(field, fmt.Sprintf("Invalid %s: the field is a singleton for contact sources and takes at most one value, got %d.", field, f.n))
		}
	}
	return nil
}

// checkMemberships validates the contact-group memberships a write sets:
// there must be at least one, the groups must exist, and a group the
// contact is not already in must accept new members: user groups,
// myContacts and starred (reference §3, §10.4, §10.8). old is the contact's
// current data, nil for a create.
func (u *User) checkMemberships(p, old *Person, path string) *apiError {
	groups := groupsOf(p)
	field := joinPath(path, "memberships")
	if len(groups) == 0 {
		return badRequest(field, "A contact must have at least one contact group membership.")
	}
	for _, g := range groups {
		gr := u.groups[g]
		if gr == nil || gr.deleted {
			return badRequest(field, fmt.Sprintf("Contact group resource name is invalid or the group does not exist: %q.", g))
		}
		if !gr.addable && !slices.Contains(groupsOf(old), g) {
			return badRequest(field, fmt.Sprintf("Cannot add contacts to the system contact group %s: only user groups, myContacts and starred accept new members.", g))
		}
	}
	return nil
}

// createContact is POST v1/people:createContact.
func (s *Server) createContact(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	fields, err := personFieldsParam(q, docCreateContact, false)
	if err != nil {
		return err
	}
	if fields == nil { // "Defaults to all fields if not set."
		fields = maskOf(personReadFields)
	}
	if _, err := sourcesParam(q["sources"], "sources"); err != nil {
		return err
	}
	var in Person
	if err := decodeBody(r, &in, "person"); err != nil {
		return err
	}
	p, err := withLock(s, func() (Person, *apiError) {
		ct, err := c.u.createFromAPI(&in, "person")
		if err != nil {
			return Person{}, err
		}
		if err := s.charge(c.u, cost{bReads, 1}, cost{bWrites, 1}, cost{bDaily, 1}); err != nil {
			return Person{}, err
		}
		ct = c.u.commitCreate(ct)
		return c.u.render(ct.c, ct.c.current(), fields, modeGet), nil
	})
	return reply(w, r, p, err)
}

// A pendingCreate is a validated create not yet written.
type pendingCreate struct {
	c    *contact
	data *Person
}

func (u *User) createFromAPI(in *Person, path string) (pendingCreate, *apiError) {
	data := storedCopy(in)
	if err := checkSingletons(data, path); err != nil {
		return pendingCreate{}, err
	}
	if len(groupsOf(data)) > 0 {
		if err := u.checkMemberships(data, nil, path); err != nil {
			return pendingCreate{}, err
		}
	}
	u.fixMemberships(data)
	return pendingCreate{data: data}, nil
}

func (u *User) commitCreate(pc pendingCreate) pendingCreate {
	pc.c = u.create("", pc.data)
	return pc
}

// etagOf reads the etags an update names: the top-level person etag and
// the CONTACT source etag (reference §2.2).
func etagOf(p *Person) (person, source string) {
	if p.Metadata != nil {
		for _, s := range p.Metadata.Sources {
			if s.Type == "CONTACT" || s.Type == "" {
				source = s.ETag
				break
			}
		}
	}
	return p.ETag, source
}

// checkETag applies the etag precondition of an update (reference §2.1,
// §2.2, §10.4): an etag is required, and either the person etag or the
// CONTACT source etag must be current.
func checkETag(in *Person, cur *version) *apiError {
	pe, se := etagOf(in)
	switch {
	case pe == "" && se == "":
		return invalidArgument("%s", msgMissingETag)
	case pe != "" && pe == cur.etag, se != "" && se == cur.srcETag:
		return nil
	case pe != "":
		return failedPrecondition(msgStalePersonETag)
	default:
		return failedPrecondition(msgStaleSourceETag)
	}
}

// applyUpdate computes the contact's new data: every field named in fields
// is replaced by the request's value, or cleared if the request has none
// (reference §2.1).
func applyUpdate(cur, in *Person, fields mask) *Person {
	next := clonePerson(cur)
	upd := storedCopy(in)
	nv, uv := reflectPerson(next), reflectPerson(upd)
	for i := range nv.NumField() {
		if fields[wireName(nv.Type().Field(i))] {
			nv.Field(i).Set(uv.Field(i))
		}
	}
	return next
}

// A pendingUpdate is a validated update not yet written.
type pendingUpdate struct {
	requested string
	c         *contact
	data      *Person
	fail      *apiError // per-contact failure: not found or stale etag
}

// prepareUpdate validates the update of name by in. Request errors (bad
// values) come back as the error; per-contact failures in fail.
func (u *User) prepareUpdate(name string, in *Person, fields mask, path string) (pendingUpdate, *apiError) {
	pu := pendingUpdate{requested: name}
	upd := storedCopy(in)
	if err := checkSingletons(upd, path); err != nil {
		return pu, err
	}
	ct := u.contacts[name]
	if ct == nil || !ct.live() {
		pu.fail = notFound()
		return pu, nil
	}
	cur := ct.current()
	if fields["memberships"] {
		if err := u.checkMemberships(upd, cur.data, path); err != nil {
			return pu, err
		}
	}
	if err := checkETag(in, cur); err != nil {
		if err.status != "FAILED_PRECONDITION" {
			return pu, err
		}
		pu.fail = err
		return pu, nil
	}
	pu.c, pu.data = ct, applyUpdate(cur.data, in, fields)
	if fields["memberships"] {
		u.fixMemberships(pu.data)
	}
	return pu, nil
}

// commitUpdate writes a prepared update and returns the contact as it is
// now (under a new resource name if the update re-keyed it).
func (u *User) commitUpdate(pu pendingUpdate) *contact {
	cur := pu.c.current()
	rekey := u.s.opts.RekeyOnEmailChange && emailSet(cur.data) != emailSet(pu.data)
	u.write(pu.c, live, pu.data, cur.photo, cur.prev)
	if rekey {
		return u.rekey(pu.c)
	}
	return pu.c
}

// updateContact is PATCH v1/{resourceName=people/*}:updateContact.
func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	upd, err := parseMask(q.Get("updatePersonFields"), "updatePersonFields", personUpdateFields, docUpdateContact)
	if err != nil {
		return err
	}
	if upd == nil {
		return maskRequired("updatePersonFields", docUpdateContact)
	}
	fields, err := personFieldsParam(q, docUpdateContact, false)
	if err != nil {
		return err
	}
	if fields == nil { // "Defaults to all fields if not set."
		fields = maskOf(personReadFields)
	}
	if _, err := sourcesParam(q["sources"], "sources"); err != nil {
		return err
	}
	var in Person
	if err := decodeBody(r, &in, "person"); err != nil {
		return err
	}
	p, err := withLock(s, func() (Person, *apiError) {
		pu, err := c.u.prepareUpdate(c.resource, &in, upd, "person")
		if err != nil {
			return Person{}, err
		}
		if pu.fail != nil {
			return Person{}, pu.fail
		}
		if err := s.charge(c.u, cost{bReads, 1}, cost{bWrites, 1}, cost{bDaily, 1}); err != nil {
			return Person{}, err
		}
		ct := c.u.commitUpdate(pu)
		return c.u.render(ct, ct.current(), fields, modeGet), nil
	})
	return reply(w, r, p, err)
}

// deleteContact is DELETE v1/{resourceName=people/*}:deleteContact.
func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	resp, err := withLock(s, func() (struct{}, *apiError) {
		ct := c.u.contacts[c.resource]
		if ct == nil || !ct.live() {
			return struct{}{}, notFound()
		}
		if err := s.charge(c.u, cost{bDeletes, 1}); err != nil {
			return struct{}{}, err
		}
		c.u.remove(ct)
		return struct{}{}, nil
	})
	return reply(w, r, resp, err)
}

type contactToCreate struct {
	ContactPerson *Person `json:"contactPerson,omitempty"`
}

type batchCreateContactsRequest struct {
	Contacts []contactToCreate `json:"contacts,omitempty"`
	ReadMask string            `json:"readMask,omitempty"`
	Sources  []string          `json:"sources,omitempty" people:"enum=READ_SOURCE_TYPE_UNSPECIFIED|READ_SOURCE_TYPE_PROFILE|READ_SOURCE_TYPE_CONTACT|READ_SOURCE_TYPE_DOMAIN_CONTACT|READ_SOURCE_TYPE_OTHER_CONTACT"`
}

type batchCreateContactsResponse struct {
	CreatedPeople []personResponse `json:"createdPeople,omitempty"`
}

func tooMany(field string, n, max int) *apiError {
	return badRequest(field, fmt.Sprintf("Too many %s in the request: %d. At most %d are allowed.", strings.ReplaceAll(field, "_", " "), n, max))
}

// batchCreateContacts is POST v1/people:batchCreateContacts: up to 200
// contacts, all created or none; with an empty readMask the answer carries
// no people (reference §2).
func (s *Server) batchCreateContacts(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var req batchCreateContactsRequest
	if err := decodeBody(r, &req, ""); err != nil {
		return err
	}
	switch n := len(req.Contacts); {
	case n == 0:
		return badRequest("contacts", "contacts is required: give at least one contact to create.")
	case n > maxBatchCreate:
		return tooMany("contacts", n, maxBatchCreate)
	}
	fields, err := parseMask(req.ReadMask, "readMask", personReadFields, docBatchCreateContacts)
	if err != nil {
		return err
	}
	resp, err := withLock(s, func() (batchCreateContactsResponse, *apiError) {
		var resp batchCreateContactsResponse
		pending := make([]pendingCreate, len(req.Contacts))
		for i, tc := range req.Contacts {
			path := fmt.Sprintf("contacts[%d].contact_person", i)
			if tc.ContactPerson == nil {
				return resp, badRequest(path, "contact_person is required.")
			}
			pc, err := c.u.createFromAPI(tc.ContactPerson, path)
			if err != nil {
				return resp, err
			}
			pending[i] = pc
		}
		if err := s.charge(c.u, cost{bReads, 6}, cost{bWrites, 6}, cost{bDaily, len(pending)}); err != nil {
			return resp, err
		}
		for _, pc := range pending {
			pc = c.u.commitCreate(pc)
			if fields != nil {
				p := c.u.render(pc.c, pc.c.current(), fields, modeGet)
				resp.CreatedPeople = append(resp.CreatedPeople, personResponse{HTTPStatusCode: http.StatusOK,
					Person: &p, Status: &rpcStatus{}})
			}
		}
		return resp, nil
	})
	return reply(w, r, resp, err)
}

type batchUpdateContactsRequest struct {
	Contacts   map[string]Person `json:"contacts,omitempty"`
	ReadMask   string            `json:"readMask,omitempty"`
	UpdateMask string            `json:"updateMask,omitempty"`
	Sources    []string          `json:"sources,omitempty" people:"enum=READ_SOURCE_TYPE_UNSPECIFIED|READ_SOURCE_TYPE_PROFILE|READ_SOURCE_TYPE_CONTACT|READ_SOURCE_TYPE_DOMAIN_CONTACT|READ_SOURCE_TYPE_OTHER_CONTACT"`
}

type batchUpdateContactsResponse struct {
	UpdateResult map[string]personResponse `json:"updateResult,omitempty"`
}

// batchUpdateContacts is POST v1/people:batchUpdateContacts: up to 200
// contacts keyed by resource name, each checked against its etag. A stale
// etag or a missing contact fails that contact only, in its
// PersonResponse.status (reference §10.5), or the whole request with
// Options.BatchUpdateAtomic; invalid values fail the whole request.
func (s *Server) batchUpdateContacts(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var req batchUpdateContactsRequest
	if err := decodeBody(r, &req, ""); err != nil {
		return err
	}
	switch n := len(req.Contacts); {
	case n == 0:
		return badRequest("contacts", "contacts is required: give at least one contact to update.")
	case n > maxBatchUpdate:
		return tooMany("contacts", n, maxBatchUpdate)
	}
	upd, err := parseMask(req.UpdateMask, "updateMask", personUpdateFields, docBatchUpdateContacts)
	if err != nil {
		return err
	}
	if upd == nil {
		return maskRequired("updateMask", docBatchUpdateContacts)
	}
	fields, err := parseMask(req.ReadMask, "readMask", personReadFields, docBatchUpdateContacts)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(req.Contacts))
	for name := range req.Contacts {
		names = append(names, name)
	}
	slices.Sort(names)
	resp, err := withLock(s, func() (batchUpdateContactsResponse, *apiError) {
		var resp batchUpdateContactsResponse
		var pending []pendingUpdate
		for _, name := range names {
			in := req.Contacts[name]
			pu, err := c.u.prepareUpdate(name, &in, upd, fmt.Sprintf("contacts[%s]", name))
			if err != nil {
				return resp, err
			}
			if pu.fail != nil && s.opts.BatchUpdateAtomic {
				return resp, pu.fail
			}
			pending = append(pending, pu)
		}
		if err := s.charge(c.u, cost{bReads, 6}, cost{bWrites, 6}, cost{bDaily, len(pending)}); err != nil {
			return resp, err
		}
		resp.UpdateResult = map[string]personResponse{}
		for _, pu := range pending {
			if pu.fail != nil {
				resp.UpdateResult[pu.requested] = personResponse{HTTPStatusCode: int32(pu.fail.code),
					RequestedResourceName: pu.requested, Status: itemStatus(pu.fail)}
				continue
			}
			ct := c.u.commitUpdate(pu)
			if fields != nil {
				p := c.u.render(ct, ct.current(), fields, modeGet)
				resp.UpdateResult[pu.requested] = personResponse{HTTPStatusCode: http.StatusOK, Person: &p,
					RequestedResourceName: pu.requested, Status: &rpcStatus{}}
			}
		}
		return resp, nil
	})
	return reply(w, r, resp, err)
}

type batchDeleteContactsRequest struct {
	ResourceNames []string `json:"resourceNames,omitempty"`
}

// batchDeleteContacts is POST v1/people:batchDeleteContacts: up to 500
// resource names, all deleted or none (a name that is not a contact fails
// the request with 404).
func (s *Server) batchDeleteContacts(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var req batchDeleteContactsRequest
	if err := decodeBody(r, &req, ""); err != nil {
		return err
	}
	switch n := len(req.ResourceNames); {
	case n == 0:
		return badRequest("resource_names", "resource_names is required: give at least one contact to delete.")
	case n > maxBatchDelete:
		return tooMany("resource_names", n, maxBatchDelete)
	}
	resp, err := withLock(s, func() (struct{}, *apiError) {
		var cs []*contact
		for _, name := range req.ResourceNames {
			ct := c.u.contacts[name]
			if ct == nil || !ct.live() {
				return struct{}{}, notFound()
			}
			if !slices.Contains(cs, ct) {
				cs = append(cs, ct)
			}
		}
		if err := s.charge(c.u, cost{bDeletes, 10}); err != nil {
			return struct{}{}, err
		}
		for _, ct := range cs {
			c.u.remove(ct)
		}
		return struct{}{}, nil
	})
	return reply(w, r, resp, err)
}

func reflectPerson(p *Person) reflect.Value { return reflect.ValueOf(p).Elem() }

// resourceNamesParam reads the resourceNames of a batchGet: at least one,
// at most maxBatchGet.
func resourceNamesParam(q url.Values) ([]string, *apiError) {
	names := q["resourceNames"]
	switch {
	case len(names) == 0:
		return nil, badRequest("resource_names", "resource_names is required: give at least one resource name.")
	case len(names) > maxBatchGet:
		return nil, badRequest("resource_names", fmt.Sprintf("Too many resource names: %d. At most %d are allowed.", len(names), maxBatchGet))
	}
	return names, nil
}
