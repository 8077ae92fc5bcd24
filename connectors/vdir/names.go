package vdir

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/contactbridge/contactbridge/connectors"
)

// Ext is the file name extension of the files a vdir holds.
const Ext = ".vcf"

// maxEncodedKey bounds the length of a name encoded from a key; longer keys
// are hashed, so every name fits the 255-byte limit of common file systems.
const maxEncodedKey = 200

// lowerBase32 is RFC 4648 base32 in lower case: letters and digits only, so
// names never differ by case alone and need no escaping anywhere.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// FileName returns the name of the file Create makes for key. It is
// deterministic, so a create retried after a crash finds the first file.
//
// Record ids are base64url and so differ in case alone ("kXJ5…" and
// "kxj5…"), which would collide on case-insensitive file systems (macOS,
// Windows); the key is therefore written in lower-case base32 ("[a-z2-7]",
// 20 characters for a 12-character record id). A key whose encoding would
// be longer than 200 characters is named by "h-" and the hex SHA-256 of the
// key instead. Either way the name holds no separator, dot or control
// character, whatever the key.
func FileName(key string) string {
	enc := lowerBase32.EncodeToString([]byte(key))
	if enc == "" || len(enc) > maxEncodedKey {
		sum := sha256.Sum256([]byte(key))
		enc = "h-" + hex.EncodeToString(sum[:])
	}
	return enc + Ext
}

// keyOf returns the key a file name was made from by FileName, or "" for a
// name FileName does not make (a file created by another program, or a key
// so long that its name is a hash).
func keyOf(name string) string {
	if !isItemName(name) {
		return ""
	}
	b, err := lowerBase32.DecodeString(name[:len(name)-len(Ext)])
	if err != nil || len(b) == 0 || len(b) > 64 || FileName(string(b)) != name {
		return ""
	}
	// A user's own short name ("me.vcf") can decode too; a key is always
	// printable ASCII, as record ids are.
	for _, c := range b {
		if c < ' ' || c > '~' || c == ',' {
			return ""
		}
	}
	return string(b)
}

// isItemName reports whether a directory entry called name is a contact:
// it ends in .vcf (any case) and is not hidden or temporary.
func isItemName(name string) bool {
	return len(name) > len(Ext) &&
		strings.EqualFold(name[len(name)-len(Ext):], Ext) &&
		name[0] != '.' && !strings.HasSuffix(name, "~")
}

// checkID returns an error wrapping connectors.ErrNotFound unless id can
// name an item of the folder: a plain file name, never a path, so that no
// id reaches outside the folder.
func checkID(op, id string) error {
	if !isItemName(id) || strings.ContainsAny(id, `/\`+"\x00") {
		return fmt.Errorf("vdir: %s %q: not a contact file name: %w", op, id, connectors.ErrNotFound)
	}
	return nil
}
