package conntest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"

	"github.com/contactbridge/contactbridge/mapping"
)

// key returns a deterministic record id for the contact s of a case: 12
// base64url characters, like the hub's.
func key(s string) string {
	sum := sha256.Sum256([]byte("conntest/" + s))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// person returns a test contact numbered i, made up, with the properties
// every remote stores.
func person(i int) *mapping.Card {
	c := &mapping.Card{}
	add := func(name, value string, params ...mapping.Param) {
		c.Add(mapping.Property{Name: name, Value: value, Params: params})
	}
	given, family := fmt.Sprintf("Test%d", i), "Conntest"
	add("FN", mapping.EscapeText(given+" "+family))
	add("N", mapping.EscapeText(family)+";"+mapping.EscapeText(given)+";;;")
	add("EMAIL", fmt.Sprintf("test%d@example.org", i), mapping.Param{Name: "TYPE", Values: []string{"work"}})
	add("TEL", fmt.Sprintf("+1-555-%07d", i), mapping.Param{Name: "TYPE", Values: []string{"cell"}})
	add("UID", fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i))
	return c
}

// withNote returns a copy of c with its NOTE set to note.
func withNote(c *mapping.Card, note string) *mapping.Card {
	out := c.Clone()
	setNote(out, note)
	return out
}

// setNote sets the NOTE of c in place.
func setNote(c *mapping.Card, note string) {
	c.Remove("NOTE")
	c.Add(mapping.Property{Name: "NOTE", Value: mapping.EscapeText(note)})
}

// withPhoto returns a copy of c with a JPEG-typed PHOTO of n random bytes.
func withPhoto(c *mapping.Card, n int, seed uint64) *mapping.Card {
	out := c.Clone()
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	// A JPEG start marker, so that remotes which sniff the image accept it.
	copy(data, []byte{0xff, 0xd8, 0xff, 0xe0})
	out.Add(mapping.Property{Name: "PHOTO", Value: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(data)})
	return out
}
