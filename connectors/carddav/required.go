package carddav

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/contactbridge/contactbridge/mapping"
)

// addedParam marks an FN the connector added.
const addedParam = "X-CONTACTBRIDGE-ADDED"

// withRequired returns card with what CardDAV servers require and it
// lacks: a UID (RFC 6352 §5.1; Radicale and Xandikos refuse a card without
// one) and an FN (vCard 3.0 and 4.0 require one; Radicale refuses a card
// without). The UID added is derived from href and the FN added is empty
// and marked with the parameter addedParam, so that withoutAdded recognises
// both when the card is read back and the hub never sees them. card itself
// is not changed.
func withRequired(card *mapping.Card, href string) *mapping.Card {
	hasUID := card.Get("UID") != nil && strings.TrimSpace(card.Value("UID")) != ""
	hasFN := card.Get("FN") != nil
	if hasUID && hasFN {
		return card
	}
	out := card.Clone()
	if !hasUID {
		out.Remove("UID")
		out.Add(mapping.Property{Name: "UID", Value: addedUID(href)})
	}
	if !hasFN {
		out.Add(mapping.Property{Name: "FN", Value: "", Params: []mapping.Param{{Name: addedParam, Values: []string{"true"}}}})
	}
	return out
}

// withoutAdded removes from a card read at href what withRequired added.
func withoutAdded(card *mapping.Card, href string) {
	if card.Value("UID") == addedUID(href) {
		card.Remove("UID")
	}
	for _, fn := range card.All("FN") {
		if fn.Param(addedParam) != "" {
			card.Remove("FN")
			break
		}
	}
}

// addedUID returns the UID withRequired gives the card at href: a UUID
// (version 8, RFC 9562) made from the SHA-256 of the href, so it is the same
// for every write of that resource.
func addedUID(href string) string {
	sum := sha256.Sum256([]byte("contactbridge carddav uid\n" + href))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
