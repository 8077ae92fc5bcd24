package graphtest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// jpeg is the start of a JPEG file; the fake does not decode photos.
var jpeg = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01fake-jpeg-body")

// putPhoto sends a photo with a Content-Type.
func (e *env) putPhoto(method, id, contentType string, data []byte) *resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.s.URL()+"/me/contacts/"+id+"/photo/$value", bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return readResp(e.t, res)
}

func TestPhotos(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.create(person("Ada", "Lovelace"), "Prefer", immutable)
	id, ck := c["id"].(string), c["changeKey"]
	_, deltaLink := e.round(folderDeltaPath("contacts"), "Prefer", immutable)

	e.do("GET", "/me/contacts/"+id+"/photo/$value", nil).wantError(t, 404, "ErrorItemNotFound")
	if r := e.putPhoto("PUT", id, "image/jpeg", jpeg).want(t, http.StatusOK); len(r.body) != 0 {
		t.Errorf("PUT photo answered a body: %s", r.body)
	}
	r := e.do("GET", "/me/contacts/"+id+"/photo/$value", nil).want(t, http.StatusOK)
	if !bytes.Equal(r.body, jpeg) || r.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("GET photo: %q %s", r.header.Get("Content-Type"), r.body)
	}
	after := e.do("GET", "/me/contacts/"+id, nil).want(t, 200).json(t)
	if after["changeKey"] == ck {
		t.Errorf("a photo change must bump changeKey (reference §10.9)")
	}
	pages, _ := e.round(deltaLink, "Prefer", immutable)
	if got := ids(values(pages)); len(got) != 1 || got[0] != id {
		t.Errorf("delta after a photo change: %v", got)
	}
	e.putPhoto("PATCH", id, "image/jpeg", []byte("\xff\xd8\xffsecond")).want(t, http.StatusOK)
	if data, _, _ := e.u.Photo(id); string(data) != "\xff\xd8\xffsecond" {
		t.Errorf("PATCH photo not stored")
	}

	for _, tc := range []struct {
		name  string
		opts  Options
		ctype string
		size  int
		code  int
		err   string
	}{
		{"PNG is not the documented type", Options{}, "image/png", 10, 400, "BadRequest"},
		{"PNG allowed by knob", Options{PhotoContentTypes: []string{"image/jpeg", "image/png"}}, "image/png", 10, 200, ""},
		{"exactly 4 MB", Options{}, "image/jpeg", 4 << 20, 200, ""},
		{"over 4 MB", Options{}, "image/jpeg", 4<<20 + 1, 413, "RequestEntityTooLarge"},
		{"over 4 MB as 400", Options{PhotoTooLargeStatus: 400}, "image/jpeg", 4<<20 + 1, 400, "BadRequest"},
		{"empty", Options{}, "image/jpeg", 0, 400, "BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			id := e.u.Put(Contact{GivenName: "A"})
			r := e.putPhoto("PUT", id, tc.ctype, bytes.Repeat([]byte{0xff}, tc.size))
			if tc.err == "" {
				r.want(t, tc.code)
				return
			}
			r.wantError(t, tc.code, tc.err)
			if _, _, ok := e.u.Photo(id); ok {
				t.Errorf("a refused photo was stored")
			}
		})
	}

	t.Run("DELETE", func(t *testing.T) {
		e.do("DELETE", "/me/contacts/"+id+"/photo/$value", nil).wantError(t, 405, "Request_BadRequest")
		e := newEnv(t, Options{PhotoDelete: true})
		id := e.u.Put(Contact{GivenName: "A"})
		e.u.SetPhoto(id, jpeg, "image/jpeg")
		e.do("DELETE", "/me/contacts/"+id+"/photo/$value", nil).want(t, http.StatusNoContent)
		e.do("GET", "/me/contacts/"+id+"/photo/$value", nil).wantError(t, 404, "ErrorItemNotFound")
	})
	t.Run("photo metadata is not modelled", func(t *testing.T) {
		e.do("GET", "/me/contacts/"+id+"/photo", nil).wantError(t, 501, "graphtest.NotImplemented")
	})
	t.Run("without credentials", func(t *testing.T) {
		res, err := http.Get(e.s.URL() + "/me/contacts/" + id + "/photo/$value")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 401 {
			t.Errorf("%d %s", res.StatusCode, b)
		}
	})
}
