package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// ErrNoSecret is returned by Secret when the account has no secret of
// that name.
var ErrNoSecret = errors.New("no such secret")

// secretRecord is one stored secret.
type secretRecord struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// secretsCollection is the collection of account's secrets: like its
// state, named by an HMAC of the account name.
func (e *Engine) secretsCollection(account string) string {
	return "sec." + accountTag(e.stateKB, account)
}

// SetSecret stores a secret of an account — an OAuth refresh token that
// `accounts connect` obtained — under name, encrypted with the state keys
// like the rest of the account's state, so that it is never at rest in
// plaintext. An empty value deletes it.
func (e *Engine) SetSecret(ctx context.Context, account, name, value string) error {
	coll := e.secretsCollection(account)
	if value == "" {
		_, err := e.hub.st.Delete(ctx, e.hub.user, coll, name, store.Precondition{})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("secret %s of account %s: %w", name, account, err)
		}
		return nil
	}
	plain, err := json.Marshal(secretRecord{ID: name, Value: value})
	if err != nil {
		return err
	}
	p, err := e.stateKB.Encrypt(plain)
	if err != nil {
		return fmt.Errorf("secret %s of account %s: %w", name, account, err)
	}
	if _, err := e.hub.st.Put(ctx, e.hub.user, coll, store.Write{ID: name, Payload: &p}, store.Precondition{}); err != nil {
		return fmt.Errorf("secret %s of account %s: %w", name, account, err)
	}
	return nil
}

// Secret returns the secret SetSecret stored, or ErrNoSecret.
func (e *Engine) Secret(ctx context.Context, account, name string) (string, error) {
	b, err := e.hub.st.Get(ctx, e.hub.user, e.secretsCollection(account), name)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("account %s: %w %q", account, ErrNoSecret, name)
	}
	if err != nil {
		return "", fmt.Errorf("secret %s of account %s: %w", name, account, err)
	}
	var r secretRecord
	if err := openJSON(e.stateKB, b, &r); err != nil {
		return "", fmt.Errorf("secret %s of account %s: %w", name, account, err)
	}
	return r.Value, nil
}
