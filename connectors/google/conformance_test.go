package google

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/conntest"
	"github.com/contactbridge/contactbridge/connectors/google/googletest"
	"github.com/contactbridge/contactbridge/mapping"
)

// convert moves a value between this package's Person and the fake's, as
// the wire does.
func convert[T any](t *testing.T, v any) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeAccount is one account on a fresh fake, and a connector to it.
func fakeAccount(t *testing.T, opts googletest.Options) (*Connector, *googletest.Server, *googletest.User) {
	t.Helper()
	srv := googletest.New(opts)
	t.Cleanup(srv.Close)
	user := srv.AddUser("refresh-" + t.Name())
	c, err := New(context.Background(), Config{ClientID: "client", ClientSecret: "secret", RefreshToken: "refresh-" + t.Name(),
		Endpoint: srv.URL(), TokenURL: srv.TokenURL(), PageSize: 100, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, user
}

func TestConformance(t *testing.T) {
	conntest.Run(t, conntest.Harness{
		PageSize: 100,
		// Google keeps less than whole properties: keep says what comes
		// back of a card (mapping.go).
		// Google also collapses runs of spaces in a name (the fake does as
		// Google's display-name logic): FN "A  B" comes back "A B".
		Project: func(_ connectors.Capabilities, card *mapping.Card) *mapping.Card {
			out := keep(card)
			if fn := out.Get("FN"); fn != nil {
				for strings.Contains(fn.Value, "  ") {
					fn.Value = strings.ReplaceAll(fn.Value, "  ", " ")
				}
			}
			return out
		},
		New: func(t *testing.T) conntest.Instance {
			c, srv, user := fakeAccount(t, googletest.Options{})
			find := func(id string) (googletest.Person, error) {
				for _, p := range user.People() {
					if p.ResourceName == id {
						return p, nil
					}
				}
				return googletest.Person{}, fmt.Errorf("no %s on the fake", id)
			}
			return conntest.Instance{
				Connector: c,
				Edit: func(ctx context.Context, id string, edit func(*mapping.Card)) error {
					fp, err := find(id)
					if err != nil {
						return err
					}
					p := convert[*Person](t, fp)
					card, err := toCard(p, c.groupNames())
					if err != nil {
						return err
					}
					edit(card)
					np, _ := fromCard(card, c.groupIDs())
					np.Photos = nil
					carryOver(p, np)
					user.Put(convert[googletest.Person](t, np))
					return nil
				},
				Delete: func(ctx context.Context, id string) error {
					user.Delete(id)
					return nil
				},
				Add: func(ctx context.Context, card *mapping.Card) (string, error) {
					np, _ := fromCard(card, c.groupIDs())
					np.Photos = nil
					return user.Put(convert[googletest.Person](t, np)), nil
				},
				ExpireTokens: func(context.Context) error {
					srv.ExpireSyncTokens()
					return nil
				},
			}
		},
	})
}
