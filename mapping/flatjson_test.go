package mapping

import (
	"encoding/json"
	"reflect"
	"testing"
)

var flatSeeds = []string{
	`{}`, ` { } `, `{"a":"b"}`, `{"id":"x","vcard":"BEGIN:VCARD\r\nEND:VCARD\r\n","deleted":false}`,
	`{"a":"\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t"}`, `{"a":"\ud800"}`, `{"a":"\udc00\ud800x"}`, "{\"a\":\"\xff\"}",
	`{"a":true,"b":false,"c":null}`, `{"a":1}`, `{"a":{}}`, `{"a":"b",}`, `{"a" : "b" , "a":"c"}`,
	`{"a":"b"} x`, `{"a":"b`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `[]`, `"s"`, ``,
	`{"ciphertext":"wcgqzENt5iXt9/7KPJ3rTA==","IV":"N1oS1t5O8mtzX2/M+6//LQ==","hmac":"b5d1"}`,
}

// flatAsMap reads data with parseFlat into what encoding/json would make of it.
func flatAsMap(data []byte) (map[string]any, bool) {
	m := map[string]any{}
	ok := parseFlat(data, func(k string, v flatValue) {
		switch {
		case v.isStr:
			m[k] = v.str
		case v.isBool:
			m[k] = v.b
		default:
			m[k] = nil
		}
	})
	return m, ok
}

func TestParseFlatAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range flatSeeds {
		t.Run(s, func(t *testing.T) { checkFlat(t, []byte(s)) })
	}
	// The fast path must accept what the hub writes, or it is no fast path.
	for _, s := range []string{flatSeeds[3], flatSeeds[len(flatSeeds)-1]} {
		if _, ok := flatAsMap([]byte(s)); !ok {
			t.Errorf("fast path refused %s", s)
		}
	}
}

func checkFlat(t *testing.T, data []byte) {
	got, ok := flatAsMap(data)
	if !ok {
		return // the caller falls back to encoding/json
	}
	var want map[string]any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("parseFlat accepted %q, encoding/json says %v", data, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseFlat(%q) = %#v, encoding/json = %#v", data, got, want)
	}
}

func FuzzParseFlat(f *testing.F) {
	for _, s := range flatSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkFlat)
}
