package graphtest

import (
	"mime"
	"net/http"
	"slices"
	"strings"
)

// getPhoto is GET /me/contacts/{id}/photo/$value: the bytes, or 404 when
// the contact has no photo (reference §1, §10.9).
func (s *Server) getPhoto(c *call, rt *route) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, _, err := c.contactOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	p := ct.current().photo
	if p == nil {
		return c.errorResponse(newError(http.StatusNotFound, "ErrorItemNotFound", "The photo wasn't found."))
	}
	return &response{status: http.StatusOK, header: http.Header{"Content-Type": {p.contentType}}, body: slices.Clone(p.data), binary: true}
}

// putPhoto is PUT (or PATCH) /me/contacts/{id}/photo/$value with the image
// as the binary body: 200, and the contact gets a new changeKey (reference
// §1, §10.9). Only Options.PhotoContentTypes are accepted (image/jpeg,
// the documented one, by default), up to Options.MaxPhotoBytes (4 MB).
func (s *Server) putPhoto(c *call, rt *route) *response {
	mt, _, _ := mime.ParseMediaType(c.header.Get("Content-Type"))
	if !slices.ContainsFunc(s.opts.PhotoContentTypes, func(t string) bool { return strings.EqualFold(t, mt) }) {
		return c.errorResponse(errBadRequest("The Content-Type '%s' is not supported for a contact photo; send %s.", c.header.Get("Content-Type"),
			strings.Join(s.opts.PhotoContentTypes, " or ")))
	}
	if len(c.body) == 0 {
		return c.errorResponse(errBadRequest("The photo is empty."))
	}
	if len(c.body) > s.opts.MaxPhotoBytes {
		code := "RequestEntityTooLarge"
		if s.opts.PhotoTooLargeStatus == http.StatusBadRequest {
			code = "BadRequest"
		}
		return c.errorResponse(newError(s.opts.PhotoTooLargeStatus, code, "The photo is larger than the 4 MB a contact photo may have."))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, _, err := c.contactOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	p := &photo{data: slices.Clone(c.body), contentType: strings.ToLower(mt)}
	c.u.write(ct, func(v *version) { v.photo = p })
	return emptyResponse(http.StatusOK)
}

// deletePhoto is DELETE /me/contacts/{id}/photo/$value. The reference
// documents no way to remove a contact photo, so it is 405 unless
// Options.PhotoDelete, which makes it 204 (404 without a photo).
func (s *Server) deletePhoto(c *call, rt *route) *response {
	if !s.opts.PhotoDelete {
		return c.errorResponse(errMethodNotAllowed())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, _, err := c.contactOf(rt)
	if err != nil {
		return c.errorResponse(err)
	}
	if ct.current().photo == nil {
		return c.errorResponse(newError(http.StatusNotFound, "ErrorItemNotFound", "The photo wasn't found."))
	}
	c.u.write(ct, func(v *version) { v.photo = nil })
	return emptyResponse(http.StatusNoContent)
}
