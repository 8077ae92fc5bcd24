package mapping

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// A recovery key is the Sync Key written for people: 32 key bytes and 3
// checksum bytes (the start of SHA-256 of the key), in Crockford's base32
// (no I, L, O or U, so nothing is mistaken for 1 or 0), in groups of four:
// 14 groups, 56 characters. Input is read case-insensitively; spaces and
// dashes are ignored, O reads as 0 and I or L as 1.
const (
	recoveryChecksumLen = 3
	recoveryGroup       = 4
)

var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// ErrRecoveryChecksum means a recovery key was mistyped.
var ErrRecoveryChecksum = errors.New("recovery key checksum does not match: a character is mistyped")

// EncodeRecoveryKey writes a 32-byte Sync Key as a recovery key.
func EncodeRecoveryKey(syncKey []byte) (string, error) {
	if len(syncKey) != SyncKeySize {
		return "", fmt.Errorf("recovery key: sync key must be %d bytes, got %d", SyncKeySize, len(syncKey))
	}
	sum := sha256.Sum256(syncKey)
	raw := append(append([]byte{}, syncKey...), sum[:recoveryChecksumLen]...)
	s := crockford.EncodeToString(raw)
	var b strings.Builder
	for i := 0; i < len(s); i += recoveryGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+recoveryGroup, len(s))])
	}
	return b.String(), nil
}

// DecodeRecoveryKey reads a recovery key back into the 32-byte Sync Key. A
// key of the wrong length or with a character outside the alphabet fails
// with a message saying so; one that decodes but does not match its checksum
// fails with ErrRecoveryChecksum.
func DecodeRecoveryKey(s string) ([]byte, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-', '\t', '\n', '\r':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", r) {
			return nil, fmt.Errorf("recovery key: %q is not a recovery key character", r)
		}
		b.WriteRune(r)
	}
	want := crockford.EncodedLen(SyncKeySize + recoveryChecksumLen)
	if b.Len() != want {
		return nil, fmt.Errorf("recovery key: has %d characters, want %d", b.Len(), want)
	}
	raw, err := crockford.DecodeString(b.String())
	if err != nil {
		return nil, fmt.Errorf("recovery key: %w", err)
	}
	key := raw[:SyncKeySize]
	sum := sha256.Sum256(key)
	if subtle.ConstantTimeCompare(sum[:recoveryChecksumLen], raw[SyncKeySize:]) != 1 {
		return nil, fmt.Errorf("recovery key: %w", ErrRecoveryChecksum)
	}
	return key, nil
}
