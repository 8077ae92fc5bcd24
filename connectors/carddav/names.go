package carddav

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// ext ends the names of the resources Create makes.
const ext = ".vcf"

// maxKeyName bounds the length of a key used as a resource name as it is.
const maxKeyName = 64

// ResourceName returns the name Create gives the resource for key: the key
// itself plus ".vcf" when it is made of base64url characters (record ids
// are), else "h-" and the hex SHA-256 of the key. It is deterministic, so a
// create retried after a crash finds the first resource. CardDAV paths are
// case-sensitive, so base64url keys that differ by case alone do not
// collide.
func ResourceName(key string) string {
	if key != "" && len(key) <= maxKeyName && isBase64URL(key) {
		return key + ext
	}
	sum := sha256.Sum256([]byte(key))
	return "h-" + hex.EncodeToString(sum[:]) + ext
}

// keyOf returns the key a resource at href was created with, when its name
// is a record id plus ".vcf" (see ResourceName), else "".
func keyOf(href string) string {
	name := href[strings.LastIndexByte(href, '/')+1:]
	key, ok := strings.CutSuffix(name, ext)
	if !ok || !mapping.ValidGUID(key) {
		return ""
	}
	return key
}

// isBase64URL reports whether s is made of the base64url alphabet.
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// memberPath checks that id names a card of the address book (a path
// directly inside it) and returns it; an id that cannot is reported as not
// found, so no request leaves the address book.
func (c *Connector) memberPath(op, id string) (string, error) {
	name, ok := strings.CutPrefix(id, c.book.Path)
	if !ok || name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return "", fmt.Errorf("carddav: %s %q: not a card of address book %s: %w", op, id, c.book.Path, connectors.ErrNotFound)
	}
	return id, nil
}
