package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/vdir"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// hubUser is the store user of the hub, as cmd/contactbridge names it for
// the embedded store.
const hubUser = "local"

// storeOptions are the options cmd/contactbridge opens the embedded store
// with (openStore), so that the benchmark measures the same transactions.
func storeOptions() sqlite.Options { return sqlite.Options{Limits: sqlite.LocalLimits()} }

// An engineRig is ContactBridge as `contactbridge sync` runs it on one
// machine: a data folder holding the embedded SQLite store, a fresh Sync
// Key, and its accounts.
type engineRig struct {
	db       string
	key      []byte
	accounts []account
	log      *slog.Logger
}

// An account is one account by name, and how `contactbridge sync` opens
// its connector.
type account struct {
	name string
	open func(ctx context.Context) (connectors.Connector, error)
}

// vdirAccount is the account of a folder.
func vdirAccount(name, path string) account {
	return account{name: name, open: func(context.Context) (connectors.Connector, error) {
		return vdir.New(vdir.Config{Path: path})
	}}
}

// newEngineRig creates a fresh Sync Key and an initialised hub in dataDir,
// as `contactbridge init` does, for the accounts (synced in that order).
func newEngineRig(ctx context.Context, dataDir string, accounts []account, log *slog.Logger) (*engineRig, error) {
	key := make([]byte, mapping.SyncKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make a Sync Key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	r := &engineRig{db: filepath.Join(dataDir, "contactbridge.db"), key: key, accounts: accounts, log: log}
	st, err := sqlite.Open(ctx, r.db, storeOptions())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", r.db, err)
	}
	defer st.Close()
	if _, _, err := bridge.InitHub(ctx, st, hubUser, key); err != nil {
		return nil, fmt.Errorf("init hub: %w", err)
	}
	return r, nil
}

// An accountRun is the outcome of one account's sync within a run.
type accountRun struct {
	Account string
	Cost    Cost
	Report  *bridge.Report
	// Store counts the store writes of the account's sync.
	Store map[string]StoreWrites
}

// sync is one `contactbridge sync`: it opens the store and the hub, syncs
// every account in order and closes the store. Each account's sync is
// measured on its own; the caller measures the whole.
func (r *engineRig) sync(ctx context.Context) ([]accountRun, error) {
	db, err := sqlite.Open(ctx, r.db, storeOptions())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", r.db, err)
	}
	defer db.Close()
	st := newCountingStore(db)
	hub, err := bridge.OpenHub(ctx, st, hubUser, r.key)
	if err != nil {
		return nil, fmt.Errorf("open hub: %w", err)
	}
	eng, err := bridge.NewEngine(hub, r.key, r.log)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	var runs []accountRun
	for _, a := range r.accounts {
		conn, err := a.open(ctx)
		if err != nil {
			return runs, fmt.Errorf("account %s: %w", a.name, err)
		}
		m := startMeter()
		rep, err := eng.Sync(ctx, bridge.Account{Name: a.name, Connector: conn}, bridge.Options{})
		runs = append(runs, accountRun{Account: a.name, Cost: m.stop(), Report: rep, Store: st.Take()})
		if err != nil {
			return runs, fmt.Errorf("sync: %w", err)
		}
		if len(rep.Failed) > 0 {
			f := rep.Failed[0]
			return runs, fmt.Errorf("sync account %s: %d items failed, first record %q remote %q: %s",
				a.name, len(rep.Failed), f.Record, f.Remote, f.Reason)
		}
	}
	if err := db.Close(); err != nil {
		return runs, fmt.Errorf("close store: %w", err)
	}
	return runs, nil
}
