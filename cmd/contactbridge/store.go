package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// hubUser is the store user the embedded store keeps this person's hub
// under.
const hubUser = "local"

// openStore opens the store backend the config names.
func openStore(ctx context.Context, cfg *Config) (store.Store, error) {
	path, err := cfg.resolve(cfg.Store.SQLite)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Limits: sqlite.LocalLimits()})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return st, nil
}
