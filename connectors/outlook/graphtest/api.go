package graphtest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// A call is one Graph request being served: a top-level request or one
// request inside a $batch.
type call struct {
	method          string
	segs            []string // path segments after /v1.0, unescaped
	rawPath         string   // path after /v1.0 as sent, for links
	query           url.Values
	header          http.Header
	body            []byte
	prefs           preferences
	requestID       string
	clientRequestID string
	now             time.Time

	// Set by authentication.
	tok *accessToken
	u   *User // the mailbox the path names
}

func (s *Server) newCall(method string, u *url.URL, header http.Header, body []byte) *call {
	raw := strings.TrimPrefix(u.EscapedPath(), "/v1.0")
	var segs []string
	for seg := range strings.SplitSeq(strings.Trim(raw, "/"), "/") {
		if v, err := url.PathUnescape(seg); err == nil {
			seg = v
		}
		segs = append(segs, seg)
	}
	c := &call{method: method, segs: segs, rawPath: "/" + strings.Trim(raw, "/"), query: u.Query(), header: header,
		body: body, prefs: parsePrefer(header), requestID: newUUID(), clientRequestID: header.Get("client-request-id"), now: s.now()}
	if c.clientRequestID == "" {
		c.clientRequestID = c.requestID
	}
	return c
}

// graph serves a request under /v1.0/.
func (s *Server) graph(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	c := s.newCall(r.Method, r.URL, r.Header, body)
	if err != nil {
		writeResponse(w, c, c.errorResponse(errBodyRead("The request body could not be read: %v", err)))
		return
	}
	if len(c.segs) == 1 && c.segs[0] == "$batch" {
		writeResponse(w, c, s.serveBatch(c))
		return
	}
	writeResponse(w, c, s.serveCall(c, &s.fail, slotTake))
}

// slotMode says how a call gets its concurrency slot (reference §6).
type slotMode int

const (
	slotTake    slotMode = iota // take one for the call, give it back after
	slotHeld                    // the batch took it for the call
	slotRefused                 // the batch found none free
)

// serveCall runs c through the pipeline every Graph request passes:
// routing, counting, authentication (top-level only: batch items carry the
// batch's token), the mailbox and scope checks, an injected failure from
// f, the concurrency slot, the rate and upload limits, OnRequest, and the
// endpoint.
func (s *Server) serveCall(c *call, f *failure, slot slotMode) *response {
	rt, rerr := parseRoute(c.method, c.segs)
	if rt != nil {
		s.count(rt.name)
	}
	if c.tok == nil {
		if err := s.authenticate(c); err != nil {
			return c.errorResponse(err)
		}
	}
	if rerr != nil {
		return c.errorResponse(rerr)
	}
	if err := s.resolveMailbox(c, rt.user); err != nil {
		return c.errorResponse(err)
	}
	if !c.tok.allows(rt.scope) {
		return c.errorResponse(errAccessDenied())
	}
	if err := s.injected(f); err != nil {
		return c.errorResponse(err)
	}
	switch slot {
	case slotRefused:
		return c.errorResponse(s.errConcurrency())
	case slotTake:
		if s.acquire(c.u, c.tok.app, 1) == 0 {
			return c.errorResponse(s.errConcurrency())
		}
		defer s.release(c.u, c.tok.app, 1)
	}
	if err := s.charge(c); err != nil {
		return c.errorResponse(err)
	}
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(rt.name)
	}
	return rt.h(s, c, rt)
}

// resolveMailbox sets c.u from the path's /me or /users/{id | upn}.
func (s *Server) resolveMailbox(c *call, ref string) *graphError {
	me := c.tok.u
	if ref == "" || strings.EqualFold(ref, me.id) || strings.EqualFold(ref, me.upn) {
		c.u = me
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if strings.EqualFold(ref, u.id) || strings.EqualFold(ref, u.upn) {
			// Delegated access to another person's mailbox needs sharing
			// the fake does not model.
			return errAccessDenied()
		}
	}
	return newError(http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+ref+"' is invalid.")
}

// A route is what a request path names.
type route struct {
	name  string
	scope scope
	user  string   // the {id | upn} of /users/{…}; "" for /me
	dflt  bool     // /me/contacts…: the default folder
	path  []string // contactFolders/{id}/childFolders/{id}…: the folder ids
	item  string   // the contact id
	h     func(s *Server, c *call, rt *route) *response
}

// An op is one method on a path.
type op struct {
	name  string
	scope scope
	h     func(s *Server, c *call, rt *route) *response
}

func eq(a, b string) bool { return strings.EqualFold(a, b) }

func isDelta(seg string) bool {
	return eq(seg, "delta") || eq(seg, "delta()") || eq(seg, "microsoft.graph.delta") || eq(seg, "microsoft.graph.delta()")
}

// parseRoute maps a method and path (segments after /v1.0) to a route.
// Segment names are case-insensitive, as in Graph.
func parseRoute(method string, segs []string) (*route, *graphError) {
	rt := &route{}
	switch {
	case len(segs) >= 1 && eq(segs[0], "me"):
		segs = segs[1:]
	case len(segs) >= 2 && eq(segs[0], "users"):
		rt.user, segs = segs[1], segs[2:]
	case len(segs) == 0 || segs[0] == "":
		return nil, errSegment("")
	default:
		return nil, errSegment(segs[0])
	}
	if len(segs) == 0 {
		return nil, errNotImplemented("the user resource")
	}
	switch {
	case eq(segs[0], "contacts"):
		rt.dflt = true
		return rt.contacts(method, segs[1:])
	case eq(segs[0], "contactFolders"):
		return rt.contactFolders(method, segs[1:])
	case eq(segs[0], "outlook") && len(segs) == 2 && eq(segs[1], "masterCategories"):
		return rt.pick(method, map[string]op{"GET": {"masterCategories.list", scopeMailboxSettings, (*Server).listCategories}})
	case eq(segs[0], "outlook"):
		return nil, errNotImplemented("that part of the outlook resource")
	}
	return nil, errSegment(segs[0])
}

func (rt *route) pick(method string, ops map[string]op) (*route, *graphError) {
	o, ok := ops[method]
	if !ok {
		return nil, errMethodNotAllowed()
	}
	rt.name, rt.scope, rt.h = o.name, o.scope, o.h
	return rt, nil
}

func (rt *route) contactFolders(method string, segs []string) (*route, *graphError) {
	if len(segs) == 0 {
		return rt.pick(method, map[string]op{
			"GET":  {"contactFolders.list", scopeRead, (*Server).listFolders},
			"POST": {"contactFolders.create", scopeWrite, (*Server).createFolder},
		})
	}
	if len(segs) == 1 && isDelta(segs[0]) {
		return rt.pick(method, map[string]op{"GET": {"contactFolders.delta", scopeRead, (*Server).folderDelta}})
	}
	rt.path = []string{segs[0]}
	i := 1
	for i+1 < len(segs) && eq(segs[i], "childFolders") {
		rt.path = append(rt.path, segs[i+1])
		i += 2
	}
	rest := segs[i:]
	switch {
	case len(rest) == 0:
		return rt.pick(method, map[string]op{
			"GET":    {"contactFolders.get", scopeRead, (*Server).getFolder},
			"DELETE": {"contactFolders.delete", scopeWrite, (*Server).deleteFolder},
			"PATCH":  {"contactFolders.update", scopeWrite, notImplemented("renaming contact folders")},
		})
	case len(rest) == 1 && eq(rest[0], "childFolders"):
		return rt.pick(method, map[string]op{
			"GET":  {"contactFolders.list", scopeRead, (*Server).listFolders},
			"POST": {"contactFolders.create", scopeWrite, (*Server).createFolder},
		})
	case eq(rest[0], "contacts"):
		return rt.contacts(method, rest[1:])
	case eq(rest[0], "singleValueExtendedProperties") || eq(rest[0], "multiValueExtendedProperties"):
		return nil, errNotImplemented("extended properties on contact folders")
	}
	return nil, errSegment(rest[0])
}

func (rt *route) contacts(method string, segs []string) (*route, *graphError) {
	switch {
	case len(segs) == 0:
		return rt.pick(method, map[string]op{
			"GET":  {"contacts.list", scopeRead, (*Server).listContacts},
			"POST": {"contacts.create", scopeWrite, (*Server).createContact},
		})
	case len(segs) == 1 && isDelta(segs[0]):
		return rt.pick(method, map[string]op{"GET": {"contacts.delta", scopeRead, (*Server).contactDelta}})
	}
	rt.item = segs[0]
	rest := segs[1:]
	switch {
	case len(rest) == 0:
		return rt.pick(method, map[string]op{
			"GET":    {"contacts.get", scopeRead, (*Server).getContact},
			"PATCH":  {"contacts.update", scopeWrite, (*Server).updateContact},
			"DELETE": {"contacts.delete", scopeWrite, (*Server).deleteContact},
		})
	case len(rest) == 2 && eq(rest[0], "photo") && rest[1] == "$value":
		return rt.pick(method, map[string]op{
			"GET":    {"photo.get", scopeRead, (*Server).getPhoto},
			"PUT":    {"photo.put", scopeWrite, (*Server).putPhoto},
			"PATCH":  {"photo.put", scopeWrite, (*Server).putPhoto},
			"DELETE": {"photo.delete", scopeWrite, (*Server).deletePhoto},
		})
	case len(rest) == 1 && eq(rest[0], "photo"):
		return nil, errNotImplemented("photo metadata (GET …/photo); use …/photo/$value")
	case len(rest) == 1 && (eq(rest[0], "singleValueExtendedProperties") || eq(rest[0], "multiValueExtendedProperties") ||
		eq(rest[0], "extensions") || eq(rest[0], "photos")):
		return nil, errNotImplemented(rest[0] + " as a path; extended properties are read with $expand and written in the contact body")
	case len(rest) == 1 && (eq(rest[0], "permanentDelete") || eq(rest[0], "move")):
		return nil, errNotImplemented(rest[0])
	}
	return nil, errSegment(rest[0])
}

func notImplemented(what string) func(*Server, *call, *route) *response {
	return func(_ *Server, c *call, _ *route) *response { return c.errorResponse(errNotImplemented(what)) }
}
