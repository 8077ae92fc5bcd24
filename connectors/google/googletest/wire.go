package googletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Request bodies are checked the way Google's JSON transcoder checks them:
// every name must be a field of the message (in lowerCamelCase or its proto
// snake_case form), every value must have the field's type, and enum fields
// take only their enum values. Anything else is a 400 INVALID_ARGUMENT naming
// the offending path, so a client that misspells a field finds out here
// rather than losing the field silently. Output-only fields are accepted and
// ignored, as Google ignores them.

const maxBody = 64 << 20

// decodeBody reads the request body into dst (a pointer to a wire struct).
// root is the proto path of the body in error messages ("person" when the
// body is one field of the request, "" when it is the whole request).
func decodeBody(r *http.Request, dst any, root string) *apiError {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return invalidArgument("Invalid JSON payload received. Could not read the request body.")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return invalidArgument("Invalid JSON payload received. %s", syntaxMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidArgument("Invalid JSON payload received. Unexpected token after the top-level value.")
	}
	if _, ok := v.(map[string]any); !ok {
		return invalidArgument("Invalid JSON payload received. Expected an object.")
	}
	clean, aerr := conform(v, reflect.TypeOf(dst).Elem(), root)
	if aerr != nil {
		return aerr
	}
	out, _ := json.Marshal(clean)
	if err := json.Unmarshal(out, dst); err != nil {
		return invalidArgument("Invalid JSON payload received. %v", err)
	}
	return nil
}

func syntaxMessage(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("Unexpected token at offset %d.", se.Offset)
	}
	return "Unexpected end of input."
}

// conform checks v (decoded with UseNumber) against the wire type t and
// returns it with field names in their lowerCamelCase form.
func conform(v any, t reflect.Type, path string) (any, *apiError) {
	if v == nil { // JSON null leaves a field unset, as in proto3 JSON.
		return nil, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, invalidValue(path, "type.googleapis.com/google.people.v1."+protoName(t), v)
		}
		out := make(map[string]any, len(m))
		for k, fv := range m {
			f, ok := fieldByWireName(t, k)
			if !ok {
				msg := fmt.Sprintf("Invalid JSON payload received. Unknown name %q", k)
				if path != "" {
					msg += fmt.Sprintf(" at '%s'", path)
				}
				return nil, badRequest(path, msg+": Cannot find field.")
			}
			name := wireName(f)
			sub := joinPath(path, snake(name))
			cv, aerr := conform(fv, f.Type, sub)
			if aerr != nil {
				return nil, aerr
			}
			if enum := enumOf(f); enum != nil && cv != nil {
				enumType := "type.googleapis.com/google.people.v1." + protoName(t) + "." + upperFirst(name)
				vals := []any{cv}
				if a, ok := cv.([]any); ok {
					vals = a
				}
				for i, ev := range vals {
					if s, _ := ev.(string); !slices.Contains(enum, s) {
						at := sub
						if len(vals) > 1 || f.Type.Kind() == reflect.Slice {
							at = fmt.Sprintf("%s[%d]", sub, i)
						}
						return nil, invalidValue(at, enumType, ev)
					}
				}
			}
			out[name] = cv
		}
		return out, nil
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return nil, invalidValue(path, scalarType(t.Elem()), v)
		}
		out := make([]any, len(a))
		for i, e := range a {
			ce, aerr := conform(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			if aerr != nil {
				return nil, aerr
			}
			out[i] = ce
		}
		return out, nil
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, invalidValue(path, "map", v)
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			ce, aerr := conform(e, t.Elem(), fmt.Sprintf("%s[%s]", path, k))
			if aerr != nil {
				return nil, aerr
			}
			out[k] = ce
		}
		return out, nil
	case reflect.String:
		if _, ok := v.(string); !ok {
			return nil, invalidValue(path, "TYPE_STRING", v)
		}
		return v, nil
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return nil, invalidValue(path, "TYPE_BOOL", v)
		}
		return v, nil
	case reflect.Int32:
		// Proto3 JSON takes 32-bit integers as numbers or numeric strings.
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = x
		default:
			return nil, invalidValue(path, "TYPE_INT32", v)
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n != math.Trunc(n) || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, invalidValue(path, "TYPE_INT32", v)
		}
		return json.Number(strconv.FormatInt(int64(n), 10)), nil
	}
	return nil, invalidValue(path, t.Kind().String(), v)
}

func scalarType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "TYPE_STRING"
	case reflect.Bool:
		return "TYPE_BOOL"
	case reflect.Int32:
		return "TYPE_INT32"
	}
	return "type.googleapis.com/google.people.v1." + protoName(t)
}

func invalidValue(path, typ string, v any) *apiError {
	raw, _ := json.Marshal(v)
	return badRequest(path, fmt.Sprintf("Invalid value at '%s' (%s), %s", path, typ, raw))
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// wireName is a struct field's JSON name.
func wireName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

func fieldByWireName(t reflect.Type, k string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name := wireName(f); name != "" && name != "-" && (k == name || k == snake(name)) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tagOpts(f reflect.StructField) []string { return strings.Split(f.Tag.Get("people"), ",") }

func readOnly(f reflect.StructField) bool { return slices.Contains(tagOpts(f), "ro") }

func enumOf(f reflect.StructField) []string {
	for _, o := range tagOpts(f) {
		if v, ok := strings.CutPrefix(o, "enum="); ok {
			return strings.Split(v, "|")
		}
	}
	return nil
}

// protoName is the People API message name of a wire type.
func protoName(t reflect.Type) string {
	switch n := t.Name(); n {
	case "Group":
		return "ContactGroup"
	case "GroupMetadata":
		return "ContactGroupMetadata"
	case "URL", "CalendarURL", "IMClient", "ExternalID", "SIPAddress":
		return strings.NewReplacer("URL", "Url", "IM", "Im", "ID", "Id", "SIP", "Sip").Replace(n)
	default:
		return upperFirst(n)
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// snake turns a lowerCamelCase JSON name into its proto field name.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// camel turns a proto field name into its lowerCamelCase JSON name.
func camel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '_':
			up = true
		case up && r >= 'a' && r <= 'z':
			b.WriteRune(r - ('a' - 'A'))
			up = false
		default:
			b.WriteRune(r)
			up = false
		}
	}
	return b.String()
}

// Field mask vocabularies (reference §1, §2.1, §3). fileAses is accepted
// although the discovery document's lists leave it out: the Person schema
// has it and the reference maps it to SORT-AS.
const (
	personReadFields = "addresses,ageRanges,biographies,birthdays,calendarUrls,clientData,coverPhotos," +
		"emailAddresses,events,externalIds,fileAses,genders,imClients,interests,locales,locations,memberships," +
		"metadata,miscKeywords,names,nicknames,occupations,organizations,phoneNumbers,photos,relations," +
		"sipAddresses,skills,urls,userDefined"
	personUpdateFields = "addresses,biographies,birthdays,calendarUrls,clientData,emailAddresses,events," +
		"externalIds,fileAses,genders,imClients,interests,locales,locations,memberships,miscKeywords,names," +
		"nicknames,occupations,organizations,phoneNumbers,relations,sipAddresses,urls,userDefined"
	groupReadFields        = "clientData,groupType,memberCount,metadata,name"
	groupDefaultFields     = "groupType,memberCount,metadata,name"
	groupCreateReadFields  = "clientData,groupType,metadata,name"
	groupWriteDefaultRead  = "groupType,metadata,name"
	groupUpdateFields      = "clientData,name"
	docConnectionsList     = "https://developers.google.com/people/api/rest/v1/people.connections/list"
	docPeopleGet           = "https://developers.google.com/people/api/rest/v1/people/get"
	docGetBatchGet         = "https://developers.google.com/people/api/rest/v1/people/getBatchGet"
	docCreateContact       = "https://developers.google.com/people/api/rest/v1/people/createContact"
	docUpdateContact       = "https://developers.google.com/people/api/rest/v1/people/updateContact"
	docBatchCreateContacts = "https://developers.google.com/people/api/rest/v1/people/batchCreateContacts"
	docBatchUpdateContacts = "https://developers.google.com/people/api/rest/v1/people/batchUpdateContacts"
	docUpdateContactPhoto  = "https://developers.google.com/people/api/rest/v1/people/updateContactPhoto"
	docDeleteContactPhoto  = "https://developers.google.com/people/api/rest/v1/people/deleteContactPhoto"
	docContactGroups       = "https://developers.google.com/people/api/rest/v1/contactGroups"
)

// A mask is a parsed field mask: the set of top-level field names.
type mask map[string]bool

func maskOf(list string) mask {
	m := mask{}
	for _, f := range strings.Split(list, ",") {
		m[f] = true
	}
	return m
}

// canonical is the mask as a sorted list, for binding tokens to it.
func (m mask) canonical() string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// parseMask parses a FieldMask parameter. An empty raw gives a nil mask and
// no error; the caller decides whether the mask is required.
func parseMask(raw, param, valid, doc string) (mask, *apiError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	ok := maskOf(valid)
	m := mask{}
	for _, p := range strings.Split(raw, ",") {
		p = camel(strings.TrimSpace(p))
		if !ok[p] {
			return nil, badRequest(snake(param), fmt.Sprintf("Invalid %s mask path: %q. Valid paths are documented at %s.", param, p, doc))
		}
		m[p] = true
	}
	return m, nil
}

func maskRequired(param, doc string) *apiError {
	return badRequest(snake(param), fmt.Sprintf("%s mask is required. Please specify one or more valid paths. Valid paths are documented at %s.", param, doc))
}

// personFieldsParam reads personFields, or the deprecated
// requestMask.includeField ("person.names,person.photos") when personFields
// is absent.
func personFieldsParam(q url.Values, doc string, required bool) (mask, *apiError) {
	raw := strings.Join(q["personFields"], ",")
	if raw == "" {
		if inc := strings.Join(q["requestMask.includeField"], ","); inc != "" {
			var parts []string
			for _, p := range strings.Split(inc, ",") {
				parts = append(parts, strings.TrimPrefix(strings.TrimSpace(p), "person."))
			}
			raw = strings.Join(parts, ",")
		}
	}
	m, err := parseMask(raw, "personFields", personReadFields, doc)
	if err != nil {
		return nil, err
	}
	if m == nil && required {
		return nil, maskRequired("personFields", doc)
	}
	return m, nil
}

// queryBool parses a boolean query parameter as Google does.
func queryBool(q url.Values, name string) (bool, *apiError) {
	switch v := q.Get(name); strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, badRequest(snake(name), fmt.Sprintf("Invalid value at '%s' (TYPE_BOOL), %q", snake(name), v))
	}
}

// queryInt parses a 32-bit integer query parameter.
func queryInt(q url.Values, name string) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, badRequest(snake(name), fmt.Sprintf("Invalid value at '%s' (TYPE_INT32), %q", snake(name), v))
	}
	return int(n), nil
}

// pageSizeParam reads pageSize: 0 or unset gives def; the API takes 1–1000
// and larger values are clamped to 1000 (reference §10.1).
func pageSizeParam(q url.Values, def int) (int, *apiError) {
	n, err := queryInt(q, "pageSize")
	if err != nil {
		return 0, err
	}
	switch {
	case n < 0:
		return 0, badRequest("page_size", "Page size must be greater than or equal to 0.")
	case n == 0:
		return def, nil
	}
	return min(n, maxPageSize), nil
}

const readSourceEnum = "READ_SOURCE_TYPE_UNSPECIFIED|READ_SOURCE_TYPE_PROFILE|READ_SOURCE_TYPE_CONTACT|" +
	"READ_SOURCE_TYPE_DOMAIN_CONTACT|READ_SOURCE_TYPE_OTHER_CONTACT"

// sourcesParam validates the repeated sources parameter and returns it
// sorted, for binding tokens to it.
func sourcesParam(vals []string, field string) (string, *apiError) {
	valid := strings.Split(readSourceEnum, "|")
	for i, v := range vals {
		if !slices.Contains(valid, v) {
			at := fmt.Sprintf("%s[%d]", field, i)
			return "", badRequest(at, fmt.Sprintf("Invalid value at '%s' (type.googleapis.com/google.people.v1.ReadSourceType), %q", at, v))
		}
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ","), nil
}
