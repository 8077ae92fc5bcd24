package googletest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
)

// Photos are served by the fake itself, under URLs shaped like Google's
// (lh3.googleusercontent.com/contacts/… for user photos, /cm/… for the
// generated letter avatars) with the "=s100" size suffix the API returns.
// Like Google's, they need no credentials.
const photoPath = "/photos/"

type photoBlob struct {
	contentType string
	data        []byte
}

// photoOf is the photos[] entry of a person: the user photo if there is one,
// else the generated avatar flagged default: true, which clients must never
// sync (reference §4, §10.9).
func (s *Server) photoOf(c *contact, v *version) Photo {
	md := &FieldMetadata{Primary: true, Source: &Source{Type: "CONTACT", ID: c.sourceID}}
	if v.photo != "" {
		return Photo{Metadata: md, URL: s.hs.URL + photoPath + "contacts/" + v.photo + "=s100"}
	}
	return Photo{Metadata: md, URL: s.hs.URL + photoPath + "cm/" + c.sourceID + "=s100", Default: true}
}

// storePhoto keeps a user photo and returns the key its URL carries. Each
// upload gets a new URL, as at Google.
func (s *Server) storePhoto(data []byte) string {
	key := randomToken(40)
	s.photoStore[key] = photoBlob{contentType: sniffPhoto(data), data: bytes.Clone(data)}
	return key
}

// sniffPhoto reports "image/jpeg" or "image/png" from the magic bytes, or ""
// for anything else: updateContactPhoto takes JPEG or PNG only (reference
// §4).
func sniffPhoto(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	}
	return ""
}

// stripSizeOption removes a trailing size option such as "=s100".
func stripSizeOption(path string) string {
	i := strings.LastIndexByte(path, '=')
	if i < 0 || strings.Contains(path[i:], "/") || len(path) < i+3 ||
		!strings.ContainsRune("swh", rune(path[i+1])) || path[i+2] < '0' || path[i+2] > '9' {
		return path
	}
	return path[:i]
}

// photo serves a photo URL, ignoring the size options (=s100 or ?sz=50).
func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	rest := stripSizeOption(strings.TrimPrefix(r.URL.Path, photoPath))
	kind, key, _ := strings.Cut(rest, "/")
	switch kind {
	case "contacts":
		s.mu.Lock()
		b, ok := s.photoStore[key]
		s.mu.Unlock()
		if !ok {
			notFoundPage(w, r)
			return
		}
		w.Header().Set("Content-Type", b.contentType)
		_, _ = w.Write(b.data)
	case "cm":
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(avatar(key))
	default:
		notFoundPage(w, r)
	}
}

// avatar draws the generated default photo: a square of a colour derived
// from the contact.
func avatar(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	c := color.RGBA{sum[0], sum[1], sum[2], 0xff}
	for y := range 16 {
		for x := range 16 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// updateContactPhotoRequest is the body of people.updateContactPhoto.
type updateContactPhotoRequest struct {
	PersonFields string   `json:"personFields,omitempty"`
	PhotoBytes   string   `json:"photoBytes,omitempty"`
	Sources      []string `json:"sources,omitempty" people:"enum=READ_SOURCE_TYPE_UNSPECIFIED|READ_SOURCE_TYPE_PROFILE|READ_SOURCE_TYPE_CONTACT|READ_SOURCE_TYPE_DOMAIN_CONTACT|READ_SOURCE_TYPE_OTHER_CONTACT"`
}

// personOnly is the answer of the photo methods: the person only when
// personFields asked for a read after the write.
type personOnly struct {
	Person *Person `json:"person,omitempty"`
}

// updateContactPhoto is PATCH v1/{resourceName=people/*}:updateContactPhoto.
func (s *Server) updateContactPhoto(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	var req updateContactPhotoRequest
	if err := decodeBody(r, &req, ""); err != nil {
		return err
	}
	fields, err := parseMask(req.PersonFields, "personFields", personReadFields, docUpdateContactPhoto)
	if err != nil {
		return err
	}
	if req.PhotoBytes == "" {
		return badRequest("photo_bytes", "photo_bytes is required.")
	}
	data, derr := base64.StdEncoding.DecodeString(req.PhotoBytes)
	if derr != nil {
		if data, derr = base64.URLEncoding.DecodeString(req.PhotoBytes); derr != nil {
			return badRequest("photo_bytes", fmt.Sprintf("Invalid value at 'photo_bytes' (TYPE_BYTES), Base64 decoding failed for %q", abbreviate(req.PhotoBytes)))
		}
	}
	if sniffPhoto(data) == "" {
		return badRequest("photo_bytes", "Invalid photo: the photo must be a JPEG or PNG image.")
	}
	if s.opts.MaxPhotoBytes > 0 && len(data) > s.opts.MaxPhotoBytes {
		return badRequest("photo_bytes", fmt.Sprintf("Photo too large: %d bytes, the limit is %d.", len(data), s.opts.MaxPhotoBytes))
	}
	s.mu.Lock()
	resp, aerr := func() (personOnly, *apiError) {
		defer s.mu.Unlock()
		if err := s.charge(c.u, cost{bPhotoWrites, 1}); err != nil {
			return personOnly{}, err
		}
		ct := c.u.contacts[c.resource]
		if ct == nil || !ct.live() {
			return personOnly{}, notFound()
		}
		cur := ct.current()
		v := c.u.write(ct, live, cur.data, s.storePhoto(data), cur.prev)
		if fields == nil {
			return personOnly{}, nil
		}
		p := c.u.render(ct, v, fields, modeGet)
		return personOnly{Person: &p}, nil
	}()
	if aerr != nil {
		return aerr
	}
	writeJSON(w, r, resp)
	return nil
}

// deleteContactPhoto is DELETE v1/{resourceName=people/*}:deleteContactPhoto.
// A contact without a user photo is left as it is.
func (s *Server) deleteContactPhoto(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	fields, err := personFieldsParam(q, docDeleteContactPhoto, false)
	if err != nil {
		return err
	}
	if _, err := sourcesParam(q["sources"], "sources"); err != nil {
		return err
	}
	s.mu.Lock()
	resp, aerr := func() (personOnly, *apiError) {
		defer s.mu.Unlock()
		if err := s.charge(c.u, cost{bPhotoWrites, 1}); err != nil {
			return personOnly{}, err
		}
		ct := c.u.contacts[c.resource]
		if ct == nil || !ct.live() {
			return personOnly{}, notFound()
		}
		v := ct.current()
		if v.photo != "" {
			v = c.u.write(ct, live, v.data, "", v.prev)
		}
		if fields == nil {
			return personOnly{}, nil
		}
		p := c.u.render(ct, v, fields, modeGet)
		return personOnly{Person: &p}, nil
	}()
	if aerr != nil {
		return aerr
	}
	writeJSON(w, r, resp)
	return nil
}

func abbreviate(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
