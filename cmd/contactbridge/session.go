package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/store"
)

// A session is what a command that reads or syncs the hub works with: the
// config, the open store, the hub and an engine over it.
type session struct {
	cfg    *Config
	key    []byte
	st     store.Store
	hub    *bridge.Hub
	engine *bridge.Engine
}

// loadConfigFlag loads the config the --config flag (or its defaults)
// names.
func loadConfigFlag(o *options) (*Config, error) {
	path, _, err := configPath(o.configPath)
	if err != nil {
		return nil, err
	}
	return loadConfig(path)
}

// openSession opens the key, the store and the hub that cfg names. log
// receives the engine's logs (nil discards them). Every error it returns
// means the command cannot run.
func openSession(ctx context.Context, cfg *Config, log *slog.Logger) (*session, error) {
	keyPath, err := cfg.resolve(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	key, err := readKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	st, user, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	hub, err := bridge.OpenHub(ctx, st, user, key)
	if err != nil {
		st.Close()
		if errors.Is(err, bridge.ErrNoKeys) {
			return nil, fmt.Errorf("the store %s holds no hub yet: run `contactbridge init --config %s`", cfg.Store.describe(), cfg.path)
		}
		return nil, err
	}
	eng, err := bridge.NewEngine(hub, key, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &session{cfg: cfg, key: key, st: st, hub: hub, engine: eng}, nil
}

// Close closes the store.
func (s *session) Close() error { return s.st.Close() }

// openFromFlags loads the config the flags name and opens a session on it,
// for the commands that read or change the hub without syncing; either
// failure means the command could not run.
func openFromFlags(ctx context.Context, o *options) (*session, error) {
	cfg, err := loadConfigFlag(o)
	if err != nil {
		return nil, cannot(err)
	}
	s, err := openSession(ctx, cfg, nil)
	if err != nil {
		return nil, cannot(err)
	}
	return s, nil
}
