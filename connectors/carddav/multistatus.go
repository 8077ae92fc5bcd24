package carddav

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// multistatus is a 207 answer (RFC 4918 §14.16, RFC 6578 §6.4).
type multistatus struct {
	XMLName   xml.Name     `xml:"DAV: multistatus"`
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

// msResponse is one DAV:response: a status for its hrefs, or propstats.
type msResponse struct {
	Hrefs     []string   `xml:"DAV: href"`
	Status    string     `xml:"DAV: status"`
	Propstats []propstat `xml:"DAV: propstat"`
}

type propstat struct {
	Status string  `xml:"DAV: status"`
	Prop   davProp `xml:"DAV: prop"`
}

// davProp holds the properties the connector asks for; a nil field was not
// in the answer.
type davProp struct {
	ETag                 *string               `xml:"DAV: getetag"`
	AddressData          *string               `xml:"urn:ietf:params:xml:ns:carddav address-data"`
	CTag                 *string               `xml:"http://calendarserver.org/ns/ getctag"`
	SyncToken            *string               `xml:"DAV: sync-token"`
	ResourceType         *resourceType         `xml:"DAV: resourcetype"`
	DisplayName          *string               `xml:"DAV: displayname"`
	Description          *string               `xml:"urn:ietf:params:xml:ns:carddav addressbook-description"`
	SupportedReports     *supportedReportSet   `xml:"DAV: supported-report-set"`
	SupportedAddressData *supportedAddressData `xml:"urn:ietf:params:xml:ns:carddav supported-address-data"`
}

type resourceType struct {
	Collection  *struct{} `xml:"DAV: collection"`
	AddressBook *struct{} `xml:"urn:ietf:params:xml:ns:carddav addressbook"`
}

// supportedReportSet is RFC 3253 §3.1.5's property. Xandikos 0.2.8 leaves
// out the DAV:report element around each report's name; both forms are
// read.
type supportedReportSet struct {
	Reports []struct {
		Report struct {
			SyncCollection *struct{} `xml:"DAV: sync-collection"`
		} `xml:"DAV: report"`
		SyncCollection *struct{} `xml:"DAV: sync-collection"`
	} `xml:"DAV: supported-report"`
}

// syncCollection reports whether the set lists sync-collection.
func (s *supportedReportSet) syncCollection() bool {
	if s == nil {
		return false
	}
	for _, r := range s.Reports {
		if r.Report.SyncCollection != nil || r.SyncCollection != nil {
			return true
		}
	}
	return false
}

// supportedAddressData is RFC 6352 §6.2.2's property. Xandikos 0.2.8 names
// its elements C:content-type instead of C:address-data-type; both are
// read.
type supportedAddressData struct {
	Types []addressDataType `xml:"urn:ietf:params:xml:ns:carddav address-data-type"`
	Alt   []addressDataType `xml:"urn:ietf:params:xml:ns:carddav content-type"`
}

type addressDataType struct {
	ContentType string `xml:"content-type,attr"`
	Version     string `xml:"version,attr"`
}

// vcard4 reports whether the set declares text/vcard 4.0.
func (s *supportedAddressData) vcard4() bool {
	if s == nil {
		return false
	}
	for _, t := range append(s.Types, s.Alt...) {
		ct := strings.ToLower(strings.TrimSpace(t.ContentType))
		if (ct == "text/vcard" || ct == "") && strings.TrimSpace(t.Version) == "4.0" {
			return true
		}
	}
	return false
}

// newXMLDecoder returns a decoder for an answer body. It reads UTF-8 (and
// its subset US-ASCII) only; answers in other charsets are refused.
func newXMLDecoder(body []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return r, nil
		}
		return nil, fmt.Errorf("charset %q not supported", label)
	}
	return d
}

// parseMultistatus reads a 207 body.
func parseMultistatus(body []byte) (*multistatus, error) {
	var ms multistatus
	if err := newXMLDecoder(body).Decode(&ms); err != nil {
		return nil, fmt.Errorf("malformed multistatus: %w", err)
	}
	return &ms, nil
}

// An entry is one resource of a multistatus.
type entry struct {
	path   string // decoded URL path
	status int    // the response's status, or that of its first propstat
	prop   davProp
}

// entries flattens ms into one entry per href, merging the properties of
// the 2xx propstats. Hrefs that are not URLs are skipped.
func (ms *multistatus) entries() []entry {
	out := make([]entry, 0, len(ms.Responses))
	for _, r := range ms.Responses {
		status := parseStatus(r.Status)
		var prop davProp
		if status == 0 {
			first := 0
			for _, ps := range r.Propstats {
				s := parseStatus(ps.Status)
				if s == 0 {
					s = 200
				}
				if first == 0 {
					first = s
				}
				if s/100 == 2 {
					status = s
					mergeProp(&prop, &ps.Prop)
				}
			}
			if status == 0 {
				status = max(first, 200)
			}
		}
		for _, h := range r.Hrefs {
			p, ok := hrefPath(h)
			if !ok {
				continue
			}
			out = append(out, entry{path: p, status: status, prop: prop})
		}
	}
	return out
}

// mergeProp copies into dst the properties src has.
func mergeProp(dst, src *davProp) {
	if src.ETag != nil {
		dst.ETag = src.ETag
	}
	if src.AddressData != nil {
		dst.AddressData = src.AddressData
	}
	if src.CTag != nil {
		dst.CTag = src.CTag
	}
	if src.SyncToken != nil {
		dst.SyncToken = src.SyncToken
	}
	if src.ResourceType != nil {
		dst.ResourceType = src.ResourceType
	}
	if src.DisplayName != nil {
		dst.DisplayName = src.DisplayName
	}
	if src.Description != nil {
		dst.Description = src.Description
	}
	if src.SupportedReports != nil {
		dst.SupportedReports = src.SupportedReports
	}
	if src.SupportedAddressData != nil {
		dst.SupportedAddressData = src.SupportedAddressData
	}
}

// parseStatus reads the code of a status line ("HTTP/1.1 404 Not Found"),
// or 0.
func parseStatus(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 100 || n > 999 {
		return 0
	}
	return n
}

// hrefPath returns the decoded path of an href, absolute or not.
func hrefPath(h string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(h))
	if err != nil || u.Path == "" {
		return "", false
	}
	if !strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	return u.Path, true
}

// escapePath returns path escaped for an href or a URL.
func escapePath(path string) string {
	return (&url.URL{Path: path}).EscapedPath()
}

// isCollection reports whether an entry is a collection, not a card.
func (e *entry) isCollection() bool {
	return strings.HasSuffix(e.path, "/") || (e.prop.ResourceType != nil && e.prop.ResourceType.Collection != nil)
}

// canonicalETag returns an entity tag in the form If-Match carries it:
// `"abc"` or `W/"abc"`. go-webdav v0.7.0 fails on weak and unquoted tags;
// unquoted ones (seen in getetag) are quoted here. ok is false for "" and
// for what cannot be an entity tag.
func canonicalETag(s string) (etag string, ok bool) {
	s = strings.TrimSpace(s)
	weak := false
	if rest, found := strings.CutPrefix(s, "W/"); found {
		weak, s = true, rest
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c < 0x21 || c == 0x7f {
			return "", false
		}
	}
	if weak {
		return `W/"` + s + `"`, true
	}
	return `"` + s + `"`, true
}

// isWeak reports whether a canonical entity tag is weak.
func isWeak(etag string) bool { return strings.HasPrefix(etag, "W/") }

// ifMatch returns the If-Match value for an etag a caller passes, quoting
// it if it comes unquoted.
func ifMatch(etag string) (string, bool) {
	return canonicalETag(etag)
}

// Request bodies.

// xmlEscape escapes s for XML character data.
func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// propfindBody asks for the properties named, each an element with its
// namespace prefix: D (DAV:), C (CardDAV) or CS (calendarserver).
func propfindBody(props ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/"><D:prop>`)
	for _, p := range props {
		b.WriteString("<" + p + "/>")
	}
	b.WriteString(`</D:prop></D:propfind>`)
	return []byte(b.String())
}

// syncBody asks for the changes since token ("" for all), with etags.
func syncBody(token string) []byte {
	tok := "<D:sync-token/>"
	if token != "" {
		tok = "<D:sync-token>" + xmlEscape(token) + "</D:sync-token>"
	}
	return []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<D:sync-collection xmlns:D="DAV:">` + tok +
		`<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`)
}

// multigetBody asks for the cards at paths, with their etags.
func multigetBody(paths []string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>`)
	for _, p := range paths {
		b.WriteString("<D:href>" + xmlEscape(escapePath(p)) + "</D:href>")
	}
	b.WriteString(`</C:addressbook-multiget>`)
	return []byte(b.String())
}

// mkcolBody makes an address book called name (RFC 5689).
func mkcolBody(name string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>` +
		`<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>` +
		`<D:displayname>` + xmlEscape(name) + `</D:displayname>` +
		`</D:prop></D:set></D:mkcol>`)
}
