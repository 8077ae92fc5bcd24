package outlook

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/conntest"
	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
	"github.com/contactbridge/contactbridge/mapping"
)

// convert moves a value between this package's Contact and the fake's, as
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

// fakeMailbox is one mailbox on a fresh fake, and a connector to it.
func fakeMailbox(t *testing.T, opts graphtest.Options, cfg Config) (*Connector, *graphtest.Server, *graphtest.User) {
	t.Helper()
	srv := graphtest.New(opts)
	t.Cleanup(srv.Close)
	user := srv.AddUser("refresh-" + t.Name())
	cfg.ClientID = "client"
	cfg.RefreshToken = "refresh-" + t.Name()
	cfg.Endpoint, cfg.TokenURL, cfg.HTTPClient = srv.URL(), srv.TokenURL("common"), srv.Client()
	if cfg.Retry.BaseDelay == 0 {
		cfg.Retry.BaseDelay = 1
	}
	if cfg.SaveRefreshToken == nil {
		cfg.SaveRefreshToken = func(context.Context, string) error { return nil }
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, user
}

// put stores card on the fake as the person would in Outlook.
func put(t *testing.T, user *graphtest.User, id string, card *mapping.Card) string {
	ct, photo := fromCard(card)
	gc := convert[graphtest.Contact](t, writeBody(ct))
	if id != "" {
		user.Edit(id, func(c *graphtest.Contact) {
			ext := c.SingleValueExtendedProperties
			*c = gc
			c.SingleValueExtendedProperties = ext
		})
	} else {
		id = user.Put(gc)
	}
	if photo != nil {
		user.SetPhoto(id, photo, "image/jpeg")
	}
	return id
}

func TestConformance(t *testing.T) {
	conntest.Run(t, conntest.Harness{
		PageSize: 100,
		NoUID:    "a Graph contact has no UID field, and delta returns no extended properties",
		Project:  func(_ connectors.Capabilities, card *mapping.Card) *mapping.Card { return keep(card) },
		New: func(t *testing.T) conntest.Instance {
			c, srv, user := fakeMailbox(t, graphtest.Options{}, Config{PageSize: 100})
			return conntest.Instance{
				Connector: c,
				Edit: func(ctx context.Context, id string, edit func(*mapping.Card)) error {
					gc, ok := user.Contact(id)
					if !ok {
						return fmt.Errorf("no %s on the fake", id)
					}
					card, err := toCard(convert[*Contact](t, gc))
					if err != nil {
						return err
					}
					if data, _, ok := user.Photo(id); ok {
						setPhoto(card, data)
					}
					edit(card)
					put(t, user, id, card)
					return nil
				},
				Delete: func(ctx context.Context, id string) error {
					user.Delete(id)
					return nil
				},
				Add: func(ctx context.Context, card *mapping.Card) (string, error) {
					return put(t, user, "", card), nil
				},
				ExpireTokens: func(context.Context) error {
					srv.ExpireDeltaTokens()
					return nil
				},
			}
		},
	})
}
