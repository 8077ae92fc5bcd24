package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/connectors"
)

func TestConfigAccountsValidation(t *testing.T) {
	const head = "key_file: k\nstore:\n  sqlite: s\n"
	cases := []struct {
		name string
		yaml string
		// want is a fragment of the error; "" means the config is valid.
		want []string
	}{
		{"no accounts", head, nil},
		{"one vdir", head + "accounts:\n  - {name: phone, type: vdir, path: p}\n", nil},
		{"every vdir key", head + "conflict_policy: remote-wins\naccounts:\n  - {name: phone, type: vdir, path: p, create: true, version: \"3.0\", schedule: \"@every 5m\"}\n", nil},
		{"policy hub-wins", head + "conflict_policy: hub-wins\n", nil},
		{"policy unknown", head + "conflict_policy: newest\n", []string{"conflict_policy", "newest"}},
		{"name missing", head + "accounts:\n  - {type: vdir, path: p}\n", []string{"accounts[0]", "name"}},
		{"name blank", head + "accounts:\n  - {name: \" \", type: vdir, path: p}\n", []string{"accounts[0]", "name"}},
		{"name with spaces around", head + "accounts:\n  - {name: \" phone\", type: vdir, path: p}\n", []string{"leading or trailing"}},
		{"name twice", head + "accounts:\n  - {name: phone, type: vdir, path: p}\n  - {name: phone, type: vdir, path: q}\n", []string{`"phone"`, "twice"}},
		{"type missing", head + "accounts:\n  - {name: phone, path: p}\n", []string{`"phone"`, "type is missing", "vdir"}},
		{"type unknown", head + "accounts:\n  - {name: work, type: exchange, path: p}\n", []string{`"work"`, `"exchange"`, "vdir"}},
		{"vdir without path", head + "accounts:\n  - {name: phone, type: vdir}\n", []string{`"phone"`, "path"}},
		{"vdir version 2.1", head + "accounts:\n  - {name: phone, type: vdir, path: p, version: \"2.1\"}\n", []string{`"phone"`, "2.1"}},
		{"blank schedule", head + "accounts:\n  - {name: phone, type: vdir, path: p, schedule: \" \"}\n", []string{`"phone"`, "schedule"}},
		{"unknown account key", head + "accounts:\n  - {name: phone, type: vdir, path: p, folder: q}\n", []string{"folder"}},
		{"run keys", head + "schedule: \"CRON_TZ=Europe/Berlin 0 */2 * * *\"\nhttp: {listen: \"127.0.0.1:9000\"}\nlog: {format: json, level: debug}\naccounts:\n  - {name: phone, type: vdir, path: p, schedule: \"@hourly\"}\n", nil},
		{"http off", head + "http: {listen: \"off\"}\n", nil},
		{"schedule garbage", head + "accounts:\n  - {name: phone, type: vdir, path: p, schedule: \"every five minutes\"}\n", []string{`account "phone"`, "every five minutes"}},
		{"schedule that panics the parser", head + "accounts:\n  - {name: phone, type: vdir, path: p, schedule: \"CRON_TZ=\"}\n", []string{`account "phone"`, "CRON_TZ"}},
		{"schedule that never fires", head + "accounts:\n  - {name: phone, type: vdir, path: p, schedule: \"0 0 30 2 *\"}\n", []string{`account "phone"`, "never fires"}},
		{"default schedule bad for an account", head + "schedule: \"@every 0s\"\naccounts:\n  - {name: phone, type: vdir, path: p}\n", []string{"schedule", "@every 0s"}},
		{"listen without port", head + "http: {listen: localhost}\n", []string{"http.listen", "localhost"}},
		{"log format", head + "log: {format: xml}\n", []string{"log.format", "xml"}},
		{"log level", head + "log: {level: loud}\n", []string{"log.level", "loud"}},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(p)
			if c.want == nil {
				if err != nil {
					t.Fatalf("case %d: unexpected error: %v", i, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded without error (%+v), want one naming %q", cfg, c.want)
			}
			for _, w := range append(c.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigAccountsResolve(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	yaml := "key_file: k\nstore:\n  sqlite: s\nconflict_policy: hub-wins\naccounts:\n" +
		"  - {name: a, type: vdir, path: folders/a, create: true}\n" +
		"  - {name: b, type: vdir, path: folders/b}\n" +
		"  - {name: c, type: vdir, path: folders/c, schedule: \"@hourly\"}\n"
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.policy() != bridge.PolicyHubWins {
		t.Errorf("policy %q, want hub-wins", cfg.policy())
	}
	if cfg.Accounts[2].Schedule != "@hourly" {
		t.Errorf("schedule not kept: %+v", cfg.Accounts[2])
	}

	t.Run("selection keeps config order", func(t *testing.T) {
		got, err := cfg.selectAccounts([]string{"c", "a"})
		if err != nil || len(got) != 2 || got[0].Name != "a" || got[1].Name != "c" {
			t.Errorf("got %+v, %v; want a then c", got, err)
		}
	})
	t.Run("unknown name lists the known ones", func(t *testing.T) {
		_, err := cfg.selectAccounts([]string{"phone"})
		if err == nil || !strings.Contains(err.Error(), `"phone"`) || !strings.Contains(err.Error(), "a, b, c") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a dry run creates no folder", func(t *testing.T) {
		acct, err := cfg.openAccount(context.Background(), cfg.Accounts[0], openEnv{dryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "folders", "a")); err == nil {
			t.Error("a dry run created the folder")
		}
		if _, err := acct.Connector.Changes(context.Background(), "", func(connectors.Page) error { return nil }); err != nil {
			t.Errorf("the stand-in for the missing folder does not list: %v", err)
		}
	})
	t.Run("a relative path is relative to the config file and created on request", func(t *testing.T) {
		if _, err := cfg.openAccount(context.Background(), cfg.Accounts[0], openEnv{}); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(dir, "folders", "a")); err != nil || !fi.IsDir() {
			t.Errorf("folder not created beside the config: %v", err)
		}
	})
	t.Run("a missing folder without create is an error saying what to do", func(t *testing.T) {
		_, err := cfg.openAccount(context.Background(), cfg.Accounts[1], openEnv{dryRun: true})
		if err == nil || !strings.Contains(err.Error(), "account b") || !strings.Contains(err.Error(), "create: true") {
			t.Errorf("err = %v", err)
		}
		if _, statErr := os.Stat(filepath.Join(dir, "folders", "b")); statErr == nil {
			t.Error("folder created without create: true")
		}
	})
}

// The example configs of the repository load: the quickstart and the
// service's.
func TestExampleConfigsLoad(t *testing.T) {
	for _, p := range []string{"../../examples/quickstart/config.yaml", "../../examples/service/config.yaml"} {
		cfg, err := loadConfig(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if len(cfg.Accounts) < 2 {
			t.Errorf("%s: %d accounts", p, len(cfg.Accounts))
		}
	}
}

// Paths may name environment variables, as systemd's credentials need;
// an unset one is an error that names it.
func TestResolveEnvironment(t *testing.T) {
	cfg := &Config{path: "/etc/contactbridge/config.yaml"}
	t.Setenv("CB_TEST_CREDS", "/run/credentials/x.service")
	if got, err := cfg.resolve("$CB_TEST_CREDS/google.secret"); err != nil || got != "/run/credentials/x.service/google.secret" {
		t.Errorf("resolve = %q, %v", got, err)
	}
	if got, err := cfg.resolve("${CB_TEST_CREDS}/a"); err != nil || got != "/run/credentials/x.service/a" {
		t.Errorf("resolve braces = %q, %v", got, err)
	}
	if _, err := cfg.resolve("$CB_TEST_UNSET_VAR/a"); err == nil || !strings.Contains(err.Error(), "CB_TEST_UNSET_VAR") {
		t.Errorf("unset variable: %v", err)
	}
	if got, err := cfg.resolve("plain/path"); err != nil || got != "/etc/contactbridge/plain/path" {
		t.Errorf("relative = %q, %v", got, err)
	}
}
