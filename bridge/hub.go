// Package bridge reconciles accounts with the hub: the encrypted contacts
// collection in a store. It sees connectors, the mapping and the store only
// through their interfaces.
package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

// pendingKeysID holds collection keys that a rotation has started using but
// not yet made current; it lets a rotation killed half-way be resumed and
// every record be read meanwhile.
const pendingKeysID = "keys-pending"

// ErrNoKeys means the store has no crypto/keys record for the user: the hub
// was never initialised (run `contactbridge init`).
var ErrNoKeys = errors.New("the store has no crypto/keys record: run `contactbridge init` first")

// ErrWrongKey means the store's crypto/keys were made under another Sync Key.
var ErrWrongKey = errors.New("the store's keys were made with another Sync Key: use that store's recovery key")

// A Hub is one user's encrypted contacts in a store. It encrypts on the way
// in and verifies and decrypts on the way out; the store sees ciphertext only.
type Hub struct {
	st      store.Store
	user    string
	sync    mapping.KeyBundle
	keys    *mapping.CollectionKeys
	pending *mapping.CollectionKeys // set while a key rotation is unfinished
}

// OpenHub opens the hub of user in st with the 32-byte Sync Key. It fails
// with ErrNoKeys when the store was never initialised and with ErrWrongKey
// when its keys belong to another Sync Key.
func OpenHub(ctx context.Context, st store.Store, user string, syncKey []byte) (*Hub, error) {
	sb, err := mapping.DeriveSyncKeyBundle(syncKey)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	h := &Hub{st: st, user: user, sync: sb}
	if h.keys, err = h.fetchKeys(ctx, mapping.KeysID); err != nil {
		return nil, err
	}
	if h.keys == nil {
		return nil, fmt.Errorf("hub: user %s: %w", user, ErrNoKeys)
	}
	if h.pending, err = h.fetchKeys(ctx, pendingKeysID); err != nil {
		return nil, err
	}
	return h, nil
}

// InitHub opens the hub of user, creating and uploading fresh collection
// keys when the store has none. created reports whether it did.
func InitHub(ctx context.Context, st store.Store, user string, syncKey []byte) (h *Hub, created bool, err error) {
	h, err = OpenHub(ctx, st, user, syncKey)
	if !errors.Is(err, ErrNoKeys) {
		return h, false, err
	}
	ck, err := mapping.NewCollectionKeys(mapping.ContactsCollection)
	if err != nil {
		return nil, false, fmt.Errorf("hub: %w", err)
	}
	sb, _ := mapping.DeriveSyncKeyBundle(syncKey) // checked by OpenHub
	payload, err := ck.Seal(sb)
	if err != nil {
		return nil, false, fmt.Errorf("hub: %w", err)
	}
	// "Only if absent": two processes initialising at once agree on one key set.
	_, err = st.Put(ctx, user, mapping.KeysCollection, store.Write{ID: mapping.KeysID, Payload: &payload}, store.Since(0))
	switch {
	case err == nil:
		created = true
	case errors.Is(err, store.ErrPreconditionFailed):
		// Another process uploaded keys first; use theirs.
	default:
		return nil, false, fmt.Errorf("hub: upload crypto/keys: %w", err)
	}
	h, err = OpenHub(ctx, st, user, syncKey)
	if err != nil {
		return nil, false, err
	}
	return h, created, nil
}

func (h *Hub) fetchKeys(ctx context.Context, id string) (*mapping.CollectionKeys, error) {
	bso, err := h.st.Get(ctx, h.user, mapping.KeysCollection, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: fetch crypto/%s: %w", id, err)
	}
	// The pending record is sealed like crypto/keys but under its own id.
	ck, err := mapping.OpenCollectionKeysAs(h.sync, id, bso.Payload)
	if errors.Is(err, mapping.ErrHMACMismatch) {
		return nil, fmt.Errorf("hub: user %s: %w", h.user, ErrWrongKey)
	}
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	return ck, nil
}

// Keys returns the current collection keys.
func (h *Hub) Keys() *mapping.CollectionKeys { return h.keys }
