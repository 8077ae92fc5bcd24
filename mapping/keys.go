package mapping

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
)

// The crypto/keys record lives in this collection under this id.
const (
	KeysCollection = "crypto"
	KeysID         = "keys"
)

// CollectionKeys holds the bulk keys of a Sync account: a default bundle and
// optional per-collection bundles. It is stored as the crypto/keys record,
// encrypted with the Sync Key Bundle.
type CollectionKeys struct {
	Default     KeyBundle
	Collections map[string]KeyBundle
}

// NewCollectionKeys returns fresh random keys: a default bundle and one
// bundle of its own for each named collection.
func NewCollectionKeys(collections ...string) (*CollectionKeys, error) {
	def, err := NewKeyBundle()
	if err != nil {
		return nil, err
	}
	ck := &CollectionKeys{Default: def, Collections: map[string]KeyBundle{}}
	for _, c := range collections {
		kb, err := NewKeyBundle()
		if err != nil {
			return nil, err
		}
		ck.Collections[c] = kb
	}
	return ck, nil
}

// For returns the bundle that encrypts collection: its own if it has one,
// else the default.
func (ck *CollectionKeys) For(collection string) KeyBundle {
	if kb, ok := ck.Collections[collection]; ok {
		return kb
	}
	return ck.Default
}

// keysCleartext is the cleartext of crypto/keys; keys are standard base64
// with padding, [enc, hmac].
type keysCleartext struct {
	ID          string               `json:"id"`
	Collection  string               `json:"collection"`
	Default     [2]string            `json:"default"`
	Collections map[string][2]string `json:"collections"`
}

func bundleToB64(kb KeyBundle) [2]string {
	return [2]string{base64.StdEncoding.EncodeToString(kb.Enc[:]), base64.StdEncoding.EncodeToString(kb.HMAC[:])}
}

func bundleFromB64(pair [2]string) (KeyBundle, error) {
	var kb KeyBundle
	for i, dst := range [][]byte{kb.Enc[:], kb.HMAC[:]} {
		b, err := base64.StdEncoding.DecodeString(pair[i])
		if err != nil || len(b) != SyncKeySize {
			return KeyBundle{}, fmt.Errorf("key %d is not %d bytes of base64", i, SyncKeySize)
		}
		copy(dst, b)
	}
	return kb, nil
}

// Seal encrypts the keys as the crypto/keys payload under the Sync Key
// Bundle.
func (ck *CollectionKeys) Seal(syncBundle KeyBundle) (string, error) {
	return ck.SealAs(syncBundle, KeysID)
}

// SealAs is Seal for a keys record stored under another id of the crypto
// collection (such as keys staged during a rotation).
func (ck *CollectionKeys) SealAs(syncBundle KeyBundle, id string) (string, error) {
	ct := keysCleartext{ID: id, Collection: KeysCollection, Default: bundleToB64(ck.Default), Collections: map[string][2]string{}}
	names := make([]string, 0, len(ck.Collections))
	for name := range ck.Collections {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ct.Collections[name] = bundleToB64(ck.Collections[name])
	}
	plain, err := json.Marshal(ct)
	if err != nil {
		return "", fmt.Errorf("crypto/keys: %w", err)
	}
	return syncBundle.Encrypt(plain)
}

// OpenCollectionKeys decrypts a crypto/keys payload with the Sync Key Bundle.
// A payload made under another Sync Key fails with ErrHMACMismatch.
func OpenCollectionKeys(syncBundle KeyBundle, payload string) (*CollectionKeys, error) {
	return OpenCollectionKeysAs(syncBundle, KeysID, payload)
}

// OpenCollectionKeysAs is OpenCollectionKeys for a keys record stored under
// id.
func OpenCollectionKeysAs(syncBundle KeyBundle, id, payload string) (*CollectionKeys, error) {
	plain, err := syncBundle.Decrypt(id, payload)
	if err != nil {
		return nil, fmt.Errorf("crypto/keys: %w", err)
	}
	var ct keysCleartext
	if err := json.Unmarshal(plain, &ct); err != nil {
		return nil, fmt.Errorf("crypto/keys: %w: %v", ErrMalformedPayload, err)
	}
	def, err := bundleFromB64(ct.Default)
	if err != nil {
		return nil, fmt.Errorf("crypto/keys: default: %w: %v", ErrMalformedPayload, err)
	}
	ck := &CollectionKeys{Default: def, Collections: map[string]KeyBundle{}}
	for name, pair := range ct.Collections {
		kb, err := bundleFromB64(pair)
		if err != nil {
			return nil, fmt.Errorf("crypto/keys: collection %s: %w: %v", name, ErrMalformedPayload, err)
		}
		ck.Collections[name] = kb
	}
	return ck, nil
}
