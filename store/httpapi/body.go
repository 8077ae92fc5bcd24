package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"

	"github.com/contactbridge/contactbridge/store"
)

// A bodyFormat is how a request body holds its records.
type bodyFormat int

const (
	formatJSON     bodyFormat = iota // one JSON value (application/json, text/plain)
	formatNewlines                   // one JSON object per line (application/newlines)
)

// readBody checks the request's Content-Type (415 unless JSON, text/plain
// or, where newlines allows it, application/newlines; a missing one is
// read as JSON) and reads the body, 413 past the store's
// max_request_bytes.
func (s *server) readBody(c *call, newlines bool) (bodyFormat, []byte, error) {
	format := formatJSON
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			return 0, nil, unsupportedType(ct)
		case mt == "application/json" || mt == "text/plain":
		case mt == "application/newlines" && newlines:
			format = formatNewlines
		default:
			return 0, nil, unsupportedType(mt)
		}
	}
	max := s.store.Limits().MaxRequestBytes
	tooLarge := &apiError{status: http.StatusRequestEntityTooLarge, code: codeSizeLimit,
		msg: fmt.Sprintf("request body over %d bytes", max)}
	if c.r.ContentLength > max {
		return 0, nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(c.r.Body, max+1))
	if err != nil {
		return 0, nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > max {
		return 0, nil, tooLarge
	}
	return format, body, nil
}

func unsupportedType(ct string) error {
	return &apiError{status: http.StatusUnsupportedMediaType, code: codeUnknown,
		msg: fmt.Sprintf("unsupported Content-Type %q", ct)}
}

// splitRecords splits a POST body into its records, unparsed: the elements
// of a JSON array, or the lines of application/newlines (an empty body is
// no record; an empty line is malformed).
func splitRecords(format bodyFormat, body []byte) ([]json.RawMessage, error) {
	if format == formatNewlines {
		if len(body) == 0 {
			return nil, nil
		}
		lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
		recs := make([]json.RawMessage, len(lines))
		for i, l := range lines {
			if !json.Valid(l) {
				return nil, badRequest(codeMalformedJSON, "line %d is not JSON", i+1)
			}
			recs[i] = l
		}
		return recs, nil
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(body, &recs); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, badRequest(codeInvalidBSO, "body is not a JSON array")
		}
		return nil, badRequest(codeMalformedJSON, "body is not JSON")
	}
	return recs, nil
}

// knownField reports whether a client may send a BSO field; modified and
// collection are accepted and ignored (reference §4).
func knownField(name string) bool {
	switch name {
	case "id", "payload", "sortindex", "ttl", "modified", "collection":
		return true
	}
	return false
}

// decodedRecord is one record of a request body.
type decodedRecord struct {
	write store.Write
	hasID bool
	// cause says why the record is not a valid BSO ("" when it is), in
	// the words of a POST's failed map.
	cause string
}

// decodeRecord decodes one BSO object. A value that is not an object is an
// error; a field the record cannot have is a cause, so that a POST fails
// that record alone.
func decodeRecord(raw json.RawMessage) (decodedRecord, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return decodedRecord{}, badRequest(codeInvalidBSO, "record is not a JSON object")
	}
	var d decodedRecord
	if v, ok := fields["id"]; ok {
		if err := json.Unmarshal(v, &d.write.ID); err != nil || isNull(v) {
			return decodedRecord{}, badRequest(codeInvalidBSO, "record id is not a string")
		}
		d.hasID = true
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v := fields[name]
		if !knownField(name) {
			d.cause = "unknown field " + name
			return d, nil
		}
		var cause string
		switch name {
		case "payload":
			d.write.Payload, cause = decodePayload(v)
		case "sortindex":
			d.write.SortIndex, cause = decodeInt(v, nil, "sortindex")
		case "ttl":
			def := store.DefaultTTL
			d.write.TTL, cause = decodeInt(v, &def, "ttl")
		}
		if cause != "" {
			d.cause = store.ReasonInvalid + ": " + cause
			return d, nil
		}
	}
	return d, nil
}

// decodePayload decodes a payload: a string, or null for the default "".
func decodePayload(v json.RawMessage) (*string, string) {
	p := ""
	if isNull(v) {
		return &p, ""
	}
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, "payload is not a string"
	}
	return &p, ""
}

// decodeInt decodes an integer field; null gives null (nil: keep the
// stored value, for a sortindex, which a store.Write cannot clear).
func decodeInt(v json.RawMessage, null *int64, name string) (*int64, string) {
	if isNull(v) {
		return null, ""
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return nil, "invalid " + name
	}
	return &n, ""
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }
