package memory_test

import (
	"context"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/conntest"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/mapping"
)

// harness runs the suite on a memory connector made with cfg.
func harness(cfg memory.Config) conntest.Harness {
	return conntest.Harness{
		PageSize: cfg.PageSize,
		New: func(t *testing.T) conntest.Instance {
			m := memory.New(cfg)
			return conntest.Instance{
				Connector: m,
				Edit: func(_ context.Context, id string, edit func(*mapping.Card)) error {
					_, err := m.Edit(id, edit)
					return err
				},
				Delete: func(_ context.Context, id string) error { return m.Remove(id) },
				Add: func(_ context.Context, card *mapping.Card) (string, error) {
					return m.Put("", card).ID, nil
				},
				ExpireTokens: func(context.Context) error {
					m.ExpireTokens()
					return nil
				},
			}
		},
	}
}

func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		cfg  memory.Config
	}{
		{"default", memory.Config{PageSize: 100}},
		{"stubs", memory.Config{PageSize: 100, Stubs: true}},
		{"vCard 3.0", memory.Config{PageSize: 250, Capabilities: connectors.Capabilities{Version: mapping.Version30}}},
		{"projection", memory.Config{PageSize: 100, Capabilities: connectors.Capabilities{
			Properties: map[string]int{"FN": 1, "N": 1, "EMAIL": 3, "TEL": 2, "UID": 1, "NOTE": 1, "PHOTO": 1},
		}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conntest.Run(t, harness(tc.cfg))
		})
	}
}
