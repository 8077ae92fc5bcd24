package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/mapping"
)

// run executes the CLI in-process with args and returns its output and exit
// code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		out.WriteString("error: " + err.Error() + "\n")
	}
	var ee *exitError
	switch {
	case err == nil:
		return out.String(), exitOK
	case errors.As(err, &ee):
		return out.String(), ee.code
	default:
		return out.String(), exitCannot
	}
}

var recoveryKeyRE = regexp.MustCompile(`(?m)^\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){13})\s*$`)

func recoveryKeyOf(t *testing.T, out string) string {
	t.Helper()
	m := recoveryKeyRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no recovery key in output:\n%s", out)
	}
	return m[1]
}

// isolate points HOME and the XDG folders at a temp dir so no test touches
// the developer's own setup.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv(configEnv, "")
	return home
}

func TestInitCreatesConfigKeyAndHub(t *testing.T) {
	home := isolate(t)
	out, code := run(t, "init")
	if code != exitOK {
		t.Fatalf("init exit %d:\n%s", code, out)
	}
	cfgPath := filepath.Join(home, "cfg", "contactbridge", "config.yaml")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatalf("config not written at the XDG default: %v", err)
	}
	keyPath := filepath.Join(home, "cfg", "contactbridge", "sync.key")
	if cfg.KeyFile != keyPath {
		t.Errorf("key_file = %s, want %s", cfg.KeyFile, keyPath)
	}
	if want := filepath.Join(home, "data", "contactbridge", "store.db"); cfg.Store.SQLite != want {
		t.Errorf("store.sqlite = %s, want %s", cfg.Store.SQLite, want)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %#o, want 0600", fi.Mode().Perm())
	}
	key, err := readKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	rk := recoveryKeyOf(t, out)
	back, err := mapping.DecodeRecoveryKey(rk)
	if err != nil || !bytes.Equal(back, key) {
		t.Errorf("printed recovery key does not decode to the stored key: %v", err)
	}
	// The store holds crypto/keys that open with this key.
	st, _, err := openStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := bridge.OpenHub(context.Background(), st, hubUser, key); err != nil {
		t.Errorf("hub does not open with the new key: %v", err)
	}
}

func TestInitRefusesToReplaceKey(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if out, code := run(t, "init", "--config", cfg); code != exitOK {
		t.Fatalf("first init exit %d:\n%s", code, out)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "sync.key"))
	out, code := run(t, "init", "--config", cfg)
	if code != exitCannot {
		t.Fatalf("second init exit %d, want %d:\n%s", code, exitCannot, out)
	}
	if !strings.Contains(out, "already exists") || !strings.Contains(out, "--force") {
		t.Errorf("refusal does not say why or what to do:\n%s", out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "sync.key"))
	if !bytes.Equal(before, after) {
		t.Error("the key changed although init refused")
	}
	if recoveryKeyRE.MatchString(out) {
		t.Error("a refused init printed a recovery key")
	}
}

func TestInitForceReplacesKeyAndEmptiesHub(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if out, code := run(t, "init", "--config", cfg); code != exitOK {
		t.Fatalf("first init exit %d:\n%s", code, out)
	}
	before, _ := readKeyFile(filepath.Join(dir, "sync.key"))
	out, code := run(t, "init", "--config", cfg, "--force")
	if code != exitOK {
		t.Fatalf("init --force exit %d:\n%s", code, out)
	}
	after, _ := readKeyFile(filepath.Join(dir, "sync.key"))
	if bytes.Equal(before, after) {
		t.Fatal("--force kept the old key")
	}
	if !strings.Contains(out, "Deleted the hub's contacts") {
		t.Errorf("--force did not say it emptied the hub:\n%s", out)
	}
	c, _ := loadConfig(cfg)
	st, _, err := openStore(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := bridge.OpenHub(context.Background(), st, hubUser, after); err != nil {
		t.Errorf("hub does not open with the new key: %v", err)
	}
}

func TestInitRecoveryKeyOnNewMachine(t *testing.T) {
	isolate(t)
	first := t.TempDir()
	out, code := run(t, "init", "--config", filepath.Join(first, "config.yaml"))
	if code != exitOK {
		t.Fatalf("init exit %d:\n%s", code, out)
	}
	rk := recoveryKeyOf(t, out)
	key, _ := readKeyFile(filepath.Join(first, "sync.key"))

	t.Run("new machine with a copy of the store", func(t *testing.T) {
		second := t.TempDir()
		db, err := os.ReadFile(filepath.Join(first, "store.db"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(second, "store.db"), db, 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := run(t, "init", "--config", filepath.Join(second, "config.yaml"), "--recovery-key", strings.ToLower(rk))
		if code != exitOK {
			t.Fatalf("init --recovery-key exit %d:\n%s", code, out)
		}
		got, err := readKeyFile(filepath.Join(second, "sync.key"))
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("restored key differs: %v", err)
		}
		if recoveryKeyRE.MatchString(out) {
			t.Error("a restored key was printed again")
		}
		if !strings.Contains(out, "opens with this key") {
			t.Errorf("init did not confirm the existing hub opens:\n%s", out)
		}
	})
	t.Run("same key again is not a replacement", func(t *testing.T) {
		out, code := run(t, "init", "--config", filepath.Join(first, "config.yaml"), "--recovery-key", rk)
		if code != exitOK {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("mistyped recovery key", func(t *testing.T) {
		third := t.TempDir()
		typo := []byte(rk)
		if typo[0] == 'A' {
			typo[0] = 'B'
		} else {
			typo[0] = 'A'
		}
		out, code := run(t, "init", "--config", filepath.Join(third, "config.yaml"), "--recovery-key", string(typo))
		if code != exitCannot {
			t.Fatalf("exit %d, want %d:\n%s", code, exitCannot, out)
		}
		if !strings.Contains(out, "checksum") {
			t.Errorf("error does not mention the checksum:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(third, "sync.key")); err == nil {
			t.Error("a key file was written for a mistyped recovery key")
		}
		if _, err := os.Stat(filepath.Join(third, "config.yaml")); err == nil {
			t.Error("a config was written for a mistyped recovery key")
		}
	})
	t.Run("other key against an existing hub", func(t *testing.T) {
		other := make([]byte, 32)
		otherRK, _ := mapping.EncodeRecoveryKey(other)
		fourth := t.TempDir()
		db, _ := os.ReadFile(filepath.Join(first, "store.db"))
		os.WriteFile(filepath.Join(fourth, "store.db"), db, 0o600)
		out, code := run(t, "init", "--config", filepath.Join(fourth, "config.yaml"), "--recovery-key", otherRK)
		if code != exitCannot {
			t.Fatalf("exit %d, want %d:\n%s", code, exitCannot, out)
		}
		if !strings.Contains(out, "another Sync Key") {
			t.Errorf("error does not say the store has another key:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(fourth, "sync.key")); err == nil {
			t.Error("the wrong key was written to disk")
		}
	})
}

func TestConfigEnvironmentOverride(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv(configEnv, filepath.Join(dir, "cb.yaml"))
	if out, code := run(t, "init"); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := loadConfig(filepath.Join(dir, "cb.yaml")); err != nil {
		t.Errorf("%s not honoured: %v", configEnv, err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, yaml, want string }{
		{"unknown key", "key_file: k\nstore:\n  sqlite: s\nkeyfile: typo\n", "keyfile"},
		{"no store", "key_file: k\n", "store"},
		{"no key file", "store:\n  sqlite: s\n", "key_file"},
		{"not yaml", "key_file: [\n", "config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			os.WriteFile(p, []byte(c.yaml), 0o600)
			_, err := loadConfig(p)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("err = %v, want one naming %q and the file", err, c.want)
			}
		})
	}
	t.Run("broken config is not overwritten by init", func(t *testing.T) {
		p := filepath.Join(dir, "broken.yaml")
		os.WriteFile(p, []byte("key_file: [\n"), 0o600)
		out, code := run(t, "init", "--config", p)
		if code != exitCannot {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		b, _ := os.ReadFile(p)
		if string(b) != "key_file: [\n" {
			t.Error("init replaced a broken config")
		}
	})
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k")
	key := bytes.Repeat([]byte{7}, 32)
	if err := writeKeyFile(p, key); err != nil {
		t.Fatal(err)
	}
	got, err := readKeyFile(p)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("read back %x, %v", got, err)
	}
	t.Run("readable by others", func(t *testing.T) {
		os.Chmod(p, 0o644)
		defer os.Chmod(p, 0o600)
		if _, err := readKeyFile(p); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("not a key", func(t *testing.T) {
		q := filepath.Join(dir, "junk")
		os.WriteFile(q, []byte("hello\n"), 0o600)
		if _, err := readKeyFile(q); err == nil {
			t.Error("junk accepted as a key")
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := readKeyFile(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "contactbridge init") {
			t.Errorf("err = %v", err)
		}
	})
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".sync.key-") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
}

func TestVersion(t *testing.T) {
	out, code := run(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "contactbridge ") {
		t.Errorf("version = %q (exit %d)", out, code)
	}
}
