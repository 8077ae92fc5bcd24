package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/mapping"
)

type initOptions struct {
	*options
	recoveryKey string
	force       bool
}

func newInitCommand(opts *options) *cobra.Command {
	o := &initOptions{options: opts}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the config, a Sync Key and the encrypted hub",
		Long: `init sets contactbridge up on this machine: a config file (unless one
exists), a fresh 32-byte Sync Key in key_file (mode 0600), and the embedded
store with its encrypted crypto/keys record.

A new key is shown once as a recovery key. Write it down: it is the only way
to read your contacts on another machine, with
    contactbridge init --recovery-key KEY

init never replaces an existing key unless you pass --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().StringVar(&o.recoveryKey, "recovery-key", "", "restore the Sync Key from its recovery key instead of making a new one")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace an existing Sync Key (contacts encrypted under it become unreadable)")
	return cmd
}

func runInit(ctx context.Context, out io.Writer, o *initOptions) error {
	path, isDefault, err := configPath(o.configPath)
	if err != nil {
		return cannot(err)
	}
	cfg, err := loadConfig(path)
	createdConfig := false
	if err != nil {
		if _, statErr := os.Stat(path); !errors.Is(statErr, fs.ErrNotExist) {
			return cannot(err) // the file exists but is broken: do not paper over it
		}
		if cfg, err = defaultConfig(path, isDefault); err != nil {
			return cannot(err)
		}
		createdConfig = true
	}
	keyPath, err := cfg.resolve(cfg.KeyFile)
	if err != nil {
		return cannot(err)
	}

	// Decide on the key before touching anything.
	var key []byte
	generated := false
	if o.recoveryKey != "" {
		if key, err = mapping.DecodeRecoveryKey(o.recoveryKey); err != nil {
			return cannot(err)
		}
	} else {
		key = make([]byte, mapping.SyncKeySize)
		if _, err := io.ReadFull(rand.Reader, key); err != nil {
			return cannot(fmt.Errorf("init: make a Sync Key: %w", err))
		}
		generated = true
	}
	writeKey := true
	if existing, err := os.ReadFile(keyPath); err == nil && len(existing) > 0 {
		old, readErr := readKeyFile(keyPath)
		switch {
		case readErr == nil && bytes.Equal(old, key):
			writeKey = false // the recovery key of the key already here
		case !o.force:
			return cannot(fmt.Errorf("init: a Sync Key already exists at %s; replacing it would make the contacts encrypted under it unreadable. "+
				"Keep it, or pass --force to replace it", keyPath))
		}
	}

	if createdConfig {
		if err := cfg.save(); err != nil {
			return cannot(err)
		}
		fmt.Fprintf(out, "Created config %s\n", path)
	}

	st, user, err := openStore(ctx, cfg)
	if err != nil {
		return cannot(err)
	}
	defer st.Close()
	_, created, err := bridge.InitHub(ctx, st, user, key)
	if errors.Is(err, bridge.ErrWrongKey) {
		if !o.force {
			return cannot(fmt.Errorf("init: the store %s holds contacts encrypted with another Sync Key. "+
				"Restore that key with --recovery-key, or pass --force to delete them and start an empty hub", cfg.Store.describe()))
		}
		if err := st.DeleteUser(ctx, user); err != nil {
			return cannot(fmt.Errorf("init: empty the store: %w", err))
		}
		fmt.Fprintf(out, "Deleted the hub's contacts, which were encrypted with another Sync Key (--force)\n")
		_, created, err = bridge.InitHub(ctx, st, user, key)
	}
	if err != nil {
		return cannot(fmt.Errorf("init: %w", err))
	}

	if writeKey {
		if err := writeKeyFile(keyPath, key); err != nil {
			return cannot(err)
		}
		fmt.Fprintf(out, "Wrote the Sync Key to %s (mode 0600)\n", keyPath)
	} else {
		fmt.Fprintf(out, "The Sync Key in %s matches the recovery key\n", keyPath)
	}
	if created {
		fmt.Fprintf(out, "Created the encrypted hub in %s\n", cfg.Store.describe())
	} else {
		fmt.Fprintf(out, "The hub in %s opens with this key\n", cfg.Store.describe())
	}
	if generated {
		rk, err := mapping.EncodeRecoveryKey(key)
		if err != nil {
			return cannot(err)
		}
		fmt.Fprintf(out, `
Your recovery key (shown only this once):

    %s

Write it down and keep it somewhere safe. With it you can read your contacts
on another machine or after losing %s:
    contactbridge init --recovery-key "<recovery key>"
`, rk, keyPath)
	}
	return nil
}
