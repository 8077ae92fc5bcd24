package mapping

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SyncKeySize is the size in bytes of a Sync Key (FxA's kB) and of each half
// of a key bundle.
const SyncKeySize = 32

// syncKeyInfo is the HKDF info string that derives the Sync Key Bundle from
// kB (storage format v5).
const syncKeyInfo = "identity.mozilla.com/picl/v1/oldsync"

// Errors returned by decryption. They are wrapped with the record id.
var (
	// ErrHMACMismatch means the record was encrypted under another key or
	// was altered after encryption. Nothing was decrypted.
	ErrHMACMismatch = errors.New("HMAC mismatch: wrong Sync Key or tampered record")
	// ErrIDMismatch means the decrypted record names another id than the
	// one it is stored under (a record moved or replayed).
	ErrIDMismatch = errors.New("record id mismatch")
	// ErrMalformedPayload means the payload is not a v5 envelope.
	ErrMalformedPayload = errors.New("malformed encrypted payload")
)

// A KeyBundle is a pair of 256-bit keys: AES-256 for encryption and
// HMAC-SHA256 for authentication.
type KeyBundle struct {
	Enc  [SyncKeySize]byte
	HMAC [SyncKeySize]byte
}

// DeriveSyncKeyBundle derives the Sync Key Bundle from the 32-byte Sync Key
// with HKDF-SHA256, empty salt and the oldsync info string. It encrypts the
// crypto/keys record.
func DeriveSyncKeyBundle(syncKey []byte) (KeyBundle, error) {
	return DeriveKeyBundle(syncKey, syncKeyInfo)
}

// DeriveKeyBundle derives a key bundle from the Sync Key under its own HKDF
// info string, so that other data (bridge state) gets keys independent of the
// Sync records'.
func DeriveKeyBundle(syncKey []byte, info string) (KeyBundle, error) {
	if len(syncKey) != SyncKeySize {
		return KeyBundle{}, fmt.Errorf("crypto: sync key must be %d bytes, got %d", SyncKeySize, len(syncKey))
	}
	okm, err := hkdf.Key(sha256.New, syncKey, nil, info, 2*SyncKeySize)
	if err != nil {
		return KeyBundle{}, fmt.Errorf("crypto: derive key bundle: %w", err)
	}
	var kb KeyBundle
	copy(kb.Enc[:], okm[:SyncKeySize])
	copy(kb.HMAC[:], okm[SyncKeySize:])
	return kb, nil
}

// NewKeyBundle returns a bundle of two fresh random keys.
func NewKeyBundle() (KeyBundle, error) {
	var kb KeyBundle
	if _, err := io.ReadFull(rand.Reader, kb.Enc[:]); err != nil {
		return KeyBundle{}, fmt.Errorf("crypto: new key bundle: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, kb.HMAC[:]); err != nil {
		return KeyBundle{}, fmt.Errorf("crypto: new key bundle: %w", err)
	}
	return kb, nil
}

// envelope is the v5 encrypted payload: a JSON object stored as the BSO's
// payload string.
type envelope struct {
	Ciphertext string `json:"ciphertext"`
	IV         string `json:"IV"`
	HMAC       string `json:"hmac"`
}

// parseEnvelope reads a v5 payload, by the fast path where it can.
func parseEnvelope(payload string) (envelope, error) {
	var env envelope
	fallback := false
	ok := parseFlat([]byte(payload), func(k string, v flatValue) {
		var dst *string
		switch k {
		case "ciphertext":
			dst = &env.Ciphertext
		case "IV":
			dst = &env.IV
		case "hmac":
			dst = &env.HMAC
		default:
			// encoding/json matches field names case-insensitively.
			fallback = fallback || strings.EqualFold(k, "ciphertext") || strings.EqualFold(k, "iv") || strings.EqualFold(k, "hmac")
			return
		}
		switch {
		case v.isStr:
			*dst = v.str
		case !v.isNull:
			fallback = true
		}
	})
	if ok && !fallback {
		return env, nil
	}
	env = envelope{}
	err := json.Unmarshal([]byte(payload), &env)
	return env, err
}

// Encrypt encrypts cleartext (a JSON object that carries the record id) with
// a fresh random IV and returns the v5 payload string.
func (kb KeyBundle) Encrypt(cleartext []byte) (string, error) {
	var iv [aes.BlockSize]byte
	if _, err := io.ReadFull(rand.Reader, iv[:]); err != nil {
		return "", fmt.Errorf("crypto: random IV: %w", err)
	}
	return kb.encryptWithIV(cleartext, iv[:])
}

// encryptWithIV is Encrypt with a given IV, for the test vectors.
func (kb KeyBundle) encryptWithIV(cleartext, iv []byte) (string, error) {
	buf, err := cbcEncrypt(kb.Enc[:], iv, cleartext)
	if err != nil {
		return "", err
	}
	ct := base64.StdEncoding.EncodeToString(buf)
	env := envelope{
		Ciphertext: ct,
		IV:         base64.StdEncoding.EncodeToString(iv),
		HMAC:       hex.EncodeToString(kb.mac(ct)),
	}
	out, err := json.Marshal(env)
	if err != nil {
		return "", fmt.Errorf("crypto: %w", err)
	}
	return string(out), nil
}

// mac is HMAC-SHA256 over the ASCII bytes of the base64 ciphertext, as v5
// specifies (not over the raw ciphertext).
func (kb KeyBundle) mac(ciphertextB64 string) []byte {
	m := hmac.New(sha256.New, kb.HMAC[:])
	io.WriteString(m, ciphertextB64)
	return m.Sum(nil)
}

// Decrypt verifies and decrypts a v5 payload string stored under record id
// and returns the cleartext. The HMAC is checked in constant time before
// anything is decrypted; the cleartext's "id" must equal id. Errors name the
// record id and wrap ErrHMACMismatch, ErrIDMismatch or ErrMalformedPayload.
func (kb KeyBundle) Decrypt(id, payload string) ([]byte, error) {
	plain, err := kb.open(id, payload)
	if err != nil {
		return nil, err
	}
	var head struct {
		ID *string `json:"id"`
	}
	if err := json.Unmarshal(plain, &head); err != nil {
		return nil, fmt.Errorf("crypto: record %s: %w: cleartext is not JSON", id, ErrMalformedPayload)
	}
	if head.ID == nil || *head.ID != id {
		return nil, fmt.Errorf("crypto: record %s: %w", id, ErrIDMismatch)
	}
	return plain, nil
}

// OpenUnchecked verifies the HMAC of payload and decrypts it like Decrypt,
// but leaves checking the cleartext's "id" to the caller, who decodes the
// cleartext anyway and so saves a second parse. The caller must reject a
// cleartext whose id is not id (ErrIDMismatch).
func (kb KeyBundle) OpenUnchecked(id, payload string) ([]byte, error) { return kb.open(id, payload) }

// open verifies the HMAC of payload and decrypts it, without looking at the
// cleartext; callers must check the id.
func (kb KeyBundle) open(id, payload string) ([]byte, error) {
	env, err := parseEnvelope(payload)
	if err != nil {
		return nil, fmt.Errorf("crypto: record %s: %w: %v", id, ErrMalformedPayload, err)
	}
	if env.Ciphertext == "" || env.IV == "" || env.HMAC == "" {
		return nil, fmt.Errorf("crypto: record %s: %w: missing ciphertext, IV or hmac", id, ErrMalformedPayload)
	}
	got, err := hex.DecodeString(env.HMAC) // accepts either case on input
	if err != nil || len(got) != sha256.Size {
		return nil, fmt.Errorf("crypto: record %s: %w: hmac is not 64 hex digits", id, ErrMalformedPayload)
	}
	ct, err := base64.StdEncoding.DecodeString(env.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("crypto: record %s: %w: ciphertext is not base64", id, ErrMalformedPayload)
	}
	if !hmac.Equal(got, kb.mac(env.Ciphertext)) {
		return nil, fmt.Errorf("crypto: record %s: %w", id, ErrHMACMismatch)
	}
	iv, err := base64.StdEncoding.DecodeString(env.IV)
	if err != nil || len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("crypto: record %s: %w: IV is not 16 bytes of base64", id, ErrMalformedPayload)
	}
	plain, err := cbcDecrypt(kb.Enc[:], iv, ct)
	if err != nil {
		return nil, fmt.Errorf("crypto: record %s: %w: %v", id, ErrMalformedPayload, err)
	}
	return plain, nil
}

// cbcEncrypt pads plain with PKCS#7 and encrypts it with AES-CBC under key
// (16, 24 or 32 bytes).
func cbcEncrypt(key, iv, plain []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypto: %w", err)
	}
	if len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("crypto: IV must be %d bytes", aes.BlockSize)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := make([]byte, len(plain)+pad)
	copy(buf, plain)
	for i := len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return buf, nil
}

// cbcDecrypt decrypts AES-CBC and strips PKCS#7 padding.
func cbcDecrypt(key, iv, ct []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ciphertext length %d is not a positive multiple of %d", len(ct), aes.BlockSize)
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("bad padding")
	}
	return plain[:len(plain)-pad], nil
}

// ClientState returns the Sync client state of a Sync Key (kXCS): the first
// 16 bytes of its SHA-256, which FxA publishes in key ids.
func ClientState(syncKey []byte) []byte {
	sum := sha256.Sum256(syncKey)
	return sum[:16]
}

// ScopedKeyJWK returns the FxA scoped key for the oldsync scope as Firefox
// formats it: the 64-byte Sync Key Bundle (enc ‖ hmac) and a key id made of
// the key rotation time in milliseconds and the client state, both
// base64url without padding. It lets a Sync Key be checked against a Firefox
// account's.
func ScopedKeyJWK(syncKey []byte, keyRotationMillis int64) (k, kid string, err error) {
	kb, err := DeriveSyncKeyBundle(syncKey)
	if err != nil {
		return "", "", err
	}
	k = base64.RawURLEncoding.EncodeToString(append(kb.Enc[:], kb.HMAC[:]...))
	kid = fmt.Sprintf("%d-%s", keyRotationMillis, base64.RawURLEncoding.EncodeToString(ClientState(syncKey)))
	return k, kid, nil
}
