package vdir_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/contactbridge/contactbridge/connectors/conntest"
	"github.com/contactbridge/contactbridge/connectors/vdir"
	"github.com/contactbridge/contactbridge/mapping"
)

// open returns a Connector on a fresh folder.
func open(t *testing.T, cfg vdir.Config) *vdir.Connector {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = t.TempDir()
	}
	c, err := vdir.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// harness runs the suite on folders set up with cfg. Other programs' edits
// are made as an editor would: the file rewritten in place.
func harness(cfg vdir.Config) conntest.Harness {
	return conntest.Harness{
		PageSize: cfg.PageSize,
		New: func(t *testing.T) conntest.Instance {
			c := open(t, cfg)
			added := 0
			return conntest.Instance{
				Connector: c,
				Edit: func(_ context.Context, id string, edit func(*mapping.Card)) error {
					path := filepath.Join(c.Path(), id)
					data, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					card, err := mapping.Parse(data)
					if err != nil {
						return err
					}
					edit(card)
					out, err := card.Marshal(card.Version)
					if err != nil {
						return err
					}
					return os.WriteFile(path, out, 0o600)
				},
				Delete: func(_ context.Context, id string) error {
					return os.Remove(filepath.Join(c.Path(), id))
				},
				Add: func(_ context.Context, card *mapping.Card) (string, error) {
					added++
					name := fmt.Sprintf("Added by hand %d.vcf", added)
					out, err := card.Marshal(mapping.Version30)
					if err != nil {
						return "", err
					}
					return name, os.WriteFile(filepath.Join(c.Path(), name), out, 0o644)
				},
			}
		},
	}
}

func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		cfg  vdir.Config
	}{
		{"vCard 4.0", vdir.Config{PageSize: 100}},
		{"vCard 3.0", vdir.Config{PageSize: 333, Version: mapping.Version30}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conntest.Run(t, harness(tc.cfg))
		})
	}
}
