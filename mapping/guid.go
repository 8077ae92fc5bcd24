package mapping

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// GUIDLen is the length of a Sync GUID: 9 random bytes in base64url.
const GUIDLen = 12

// NewGUID returns a fresh Sync record id: 9 random bytes, base64url without
// padding, 12 characters (just under 72 bits of entropy), as Firefox makes
// them. It never begins with '-': ids are typed on command lines
// ("contactbridge restore ID") and become file names on remotes, where a
// leading dash reads as an option.
func NewGUID() (string, error) {
	var b [9]byte
	for {
		if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
			return "", fmt.Errorf("guid: %w", err)
		}
		// The first character encodes the top six bits; 62 is '-'.
		if b[0]>>2 != 62 {
			return base64.RawURLEncoding.EncodeToString(b[:]), nil
		}
	}
}

// ValidGUID reports whether id has the form of a Sync GUID: 12 characters of
// the base64url alphabet.
func ValidGUID(id string) bool {
	if len(id) != GUIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
