package bridge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

// Secrets are stored encrypted, per account, and can be replaced and
// deleted.
func TestSecrets(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	if _, err := w.e.Secret(ctx, "gmail", "refresh_token"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("missing secret: %v", err)
	}
	const token = "1//0g-very-secret-refresh-token"
	if err := w.e.SetSecret(ctx, "gmail", "refresh_token", token); err != nil {
		t.Fatal(err)
	}
	if got, err := w.e.Secret(ctx, "gmail", "refresh_token"); err != nil || got != token {
		t.Fatalf("Secret = %q, %v", got, err)
	}
	if _, err := w.e.Secret(ctx, "outlook", "refresh_token"); !errors.Is(err, ErrNoSecret) {
		t.Errorf("another account's secret: %v", err)
	}
	// Nothing of it in the store in plaintext.
	info, err := w.st.Info(ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	for coll := range info {
		if strings.Contains(coll, "gmail") {
			t.Errorf("collection %q names the account", coll)
		}
		page, err := w.st.List(ctx, testUser, coll, store.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if strings.Contains(r.Payload, "secret-refresh") {
				t.Errorf("%s/%s holds the token in plaintext", coll, r.ID)
			}
		}
	}
	if err := w.e.SetSecret(ctx, "gmail", "refresh_token", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.e.Secret(ctx, "gmail", "refresh_token"); !errors.Is(err, ErrNoSecret) {
		t.Errorf("deleted secret: %v", err)
	}
}
