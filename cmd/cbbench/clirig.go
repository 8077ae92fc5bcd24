package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// A cliRig runs the contactbridge command itself, as a user would, in a
// child process: its cost is measured like vdirsyncer's, apart from the
// benchmark's own work (the counting proxies, the checks).
type cliRig struct {
	bin    string
	config string
}

// cliAccount is one account of a cliRig's config, in the config's form.
type cliAccount map[string]any

// buildContactbridge builds the contactbridge command into dir and returns
// its path. cbbench runs from the module (go run ./cmd/cbbench), so the
// package resolves to the source beside it.
func buildContactbridge(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "contactbridge")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/contactbridge/contactbridge/cmd/contactbridge")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build contactbridge: %w: %s", err, lastLines(out.String(), 10))
	}
	return bin, nil
}

// newCLIRig writes a config into dir (which also holds the key and the
// embedded store) for the accounts, synced in that order.
func newCLIRig(bin, dir string, accounts []cliAccount) (*cliRig, error) {
	cfg := map[string]any{
		"key_file": filepath.Join(dir, "sync.key"),
		"store":    map[string]any{"sqlite": filepath.Join(dir, "store.db")},
		"accounts": accounts,
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("contactbridge config: %w", err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("contactbridge config: %w", err)
	}
	return &cliRig{bin: bin, config: path}, nil
}

// secretFile writes a password file (mode 0600, as contactbridge wants
// it) into dir and returns its path.
func secretFile(dir, name, secret string) (string, error) {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// run runs `contactbridge --config config args…` and returns the cost of
// the child process.
func (r *cliRig) run(ctx context.Context, args ...string) (Cost, error) {
	return runChild(ctx, "contactbridge", r.bin, []string{"--config", r.config}, args)
}
