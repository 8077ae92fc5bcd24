package httpapi

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// A handler serves one (path, method) of the API.
type handler func(s *server, c *call)

// endpoints maps each method of one kind of path to its handler.
type endpoints map[string]handler

// allow lists the methods of e for an Allow header, in a fixed order.
func (e endpoints) allow() string {
	var ms []string
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete} {
		if e[m] != nil {
			ms = append(ms, m)
		}
	}
	return strings.Join(ms, ", ")
}

// routes are the endpoints of each kind of path under /1.5/{user}.
type routes struct {
	user, storage, collection, record endpoints
	info                              map[string]endpoints
}

func newRoutes() routes {
	return routes{
		user:    endpoints{http.MethodDelete: (*server).deleteStorage},
		storage: endpoints{http.MethodDelete: (*server).deleteStorage},
		collection: endpoints{
			http.MethodGet:    (*server).getCollection,
			http.MethodPost:   (*server).postCollection,
			http.MethodDelete: (*server).deleteCollection,
		},
		record: endpoints{
			http.MethodGet:    (*server).getRecord,
			http.MethodPut:    (*server).putRecord,
			http.MethodDelete: (*server).deleteRecord,
		},
		info: map[string]endpoints{
			"collections":       {http.MethodGet: (*server).infoCollections},
			"quota":             {http.MethodGet: (*server).infoQuota},
			"collection_usage":  {http.MethodGet: (*server).infoUsage},
			"collection_counts": {http.MethodGet: (*server).infoCounts},
			"configuration":     {http.MethodGet: (*server).infoConfiguration},
		},
	}
}

// route finds the endpoint of c's path, checks that the path belongs to the
// authenticated user, and serves it: 404 for a path the API does not have,
// 405 with Allow for a method the path does not take, 403 for another
// user's path.
func (s *server) route(c *call) {
	segs, ok := splitPath(c.r.URL.EscapedPath())
	if !ok || len(segs) < 2 || segs[0] != "1.5" {
		sendCode(c.w, http.StatusNotFound, codeUnknown)
		return
	}
	c.user = segs[1]
	rest := segs[2:]
	var eps endpoints
	switch {
	case len(rest) == 0:
		eps = s.routes.user
	case rest[0] == "info" && len(rest) == 2:
		eps = s.routes.info[rest[1]]
	case rest[0] == "storage" && len(rest) == 1:
		eps = s.routes.storage
	case rest[0] == "storage" && len(rest) == 2:
		eps, c.collection = s.routes.collection, rest[1]
	case rest[0] == "storage" && len(rest) == 3:
		eps, c.collection, c.id = s.routes.record, rest[1], rest[2]
	}
	if eps == nil {
		sendCode(c.w, http.StatusNotFound, codeUnknown)
		return
	}
	// Names are not secrets, but the comparison costs nothing to make
	// constant-time.
	if subtle.ConstantTimeCompare([]byte(c.user), []byte(c.authUser)) != 1 {
		s.log.WarnContext(c.r.Context(), "path of another user", "user", c.authUser)
		sendCode(c.w, http.StatusForbidden, codeUserMismatch)
		return
	}
	h := eps[c.r.Method]
	if h == nil {
		c.w.Header().Set("Allow", eps.allow())
		sendCode(c.w, http.StatusMethodNotAllowed, codeIllegalMethod)
		return
	}
	if c.collection != "" && !store.ValidCollection(c.collection) {
		s.fail(c, "route", badRequest(codeInvalidCollection, "invalid collection name"), codeInvalidCollection)
		return
	}
	if c.id != "" && !store.ValidID(c.id) {
		s.fail(c, "route", badRequest(codeInvalidBSO, "invalid record id"), codeInvalidBSO)
		return
	}
	if err := checkPreconditionHeaders(c); err != nil {
		s.fail(c, "route", err, codeUnknown)
		return
	}
	h(s, c)
}

// splitPath splits an escaped path into its unescaped segments, so that a
// record id may hold an escaped "/". It fails on an empty segment or a bad
// escape.
func splitPath(escaped string) ([]string, bool) {
	p, ok := strings.CutPrefix(escaped, "/")
	if !ok {
		return nil, false
	}
	raw := strings.Split(p, "/")
	segs := make([]string, len(raw))
	for i, r := range raw {
		seg, err := url.PathUnescape(r)
		if err != nil || seg == "" {
			return nil, false
		}
		segs[i] = seg
	}
	return segs, true
}
