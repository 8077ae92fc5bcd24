package mapping

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ContactsCollection is the hub collection that holds contact records.
const ContactsCollection = "contacts"

// A Record is the cleartext of one hub record: a contact as canonical vCard
// 4.0, or a tombstone (Deleted, no VCard).
type Record struct {
	ID      string `json:"id"`
	VCard   string `json:"vcard,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

// SealRecord encrypts r as a v5 payload under kb.
func SealRecord(kb KeyBundle, r Record) (string, error) {
	if r.ID == "" {
		return "", fmt.Errorf("record: empty id")
	}
	plain, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("record %s: %w", r.ID, err)
	}
	return kb.Encrypt(plain)
}

// OpenRecord verifies and decrypts the payload stored under id. The error
// names the record id and wraps ErrHMACMismatch, ErrIDMismatch or
// ErrMalformedPayload.
func OpenRecord(kb KeyBundle, id, payload string) (Record, error) {
	plain, err := kb.open(id, payload)
	if err != nil {
		return Record{}, err
	}
	r, err := parseRecord(plain)
	if err != nil {
		return Record{}, fmt.Errorf("record %s: %w: cleartext is not a record: %v", id, ErrMalformedPayload, err)
	}
	if r.ID != id {
		return Record{}, fmt.Errorf("record %s: %w", id, ErrIDMismatch)
	}
	return r, nil
}

// parseRecord reads a record cleartext, by the fast path where it can.
func parseRecord(plain []byte) (Record, error) {
	var r Record
	fallback := false
	ok := parseFlat(plain, func(k string, v flatValue) {
		switch {
		case k == "id" && v.isStr:
			r.ID = v.str
		case k == "vcard" && v.isStr:
			r.VCard = v.str
		case k == "deleted" && v.isBool:
			r.Deleted = v.b
		case k == "id", k == "vcard", k == "deleted":
			fallback = fallback || !v.isNull
		default:
			fallback = fallback || strings.EqualFold(k, "id") || strings.EqualFold(k, "vcard") || strings.EqualFold(k, "deleted")
		}
	})
	if ok && !fallback {
		return r, nil
	}
	r = Record{}
	err := json.Unmarshal(plain, &r)
	return r, err
}
