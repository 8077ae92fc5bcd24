package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/bridge/scheduler"
)

// configEnv names the environment variable that points at the config file.
const configEnv = "CONTACTBRIDGE_CONFIG"

// Config is the YAML config file. Its keys are a contract with users: add,
// never rename.
type Config struct {
	// KeyFile holds the 32-byte Sync Key (mode 0600).
	KeyFile string      `yaml:"key_file"`
	Store   StoreConfig `yaml:"store"`
	// ConflictPolicy resolves true conflicts: merge (the default),
	// hub-wins or remote-wins.
	ConflictPolicy string `yaml:"conflict_policy,omitempty"`
	// Accounts are the endpoints synced with the hub, in the order `sync`
	// runs them.
	Accounts []AccountConfig `yaml:"accounts,omitempty"`
	// Schedule is when `run` syncs an account whose entry has no schedule
	// of its own (default defaultSchedule).
	Schedule string `yaml:"schedule,omitempty"`
	// HTTP is the status page and API of `run`.
	HTTP HTTPConfig `yaml:"http,omitempty"`
	// Log says how `run` logs.
	Log LogConfig `yaml:"log,omitempty"`
	// Storage is the Sync Storage server of `storage serve`.
	Storage StorageConfig `yaml:"storage,omitempty"`

	// path is where the config was read from; relative paths in it are
	// relative to its folder.
	path string
	// serverOnly: read for `storage`, which needs no Sync Key.
	serverOnly bool
}

// StoreConfig picks the hub's store backend: exactly one of its keys.
type StoreConfig struct {
	// SQLite is the path of the embedded store's database.
	SQLite string `yaml:"sqlite,omitempty"`
	// Postgres is a PostgreSQL connection string (URL or key=value); keep
	// its password in ~/.pgpass or $PGPASSFILE, not here.
	Postgres string `yaml:"postgres,omitempty"`
	// Remote is a Sync Storage 1.5 server.
	Remote *RemoteStoreConfig `yaml:"remote,omitempty"`
	// User is the store user the hub lives under in sqlite or postgres
	// (default "local"): several people's bridges on one PostgreSQL
	// database each need their own. A remote store's user is in its URL.
	User string `yaml:"user,omitempty"`
}

// RemoteStoreConfig is a Sync Storage 1.5 server holding the hub.
type RemoteStoreConfig struct {
	// URL is the user's storage root, such as
	// https://sync.example.com/1.5/alice/ (its last segment is the user).
	URL string `yaml:"url"`
	// Username and PasswordFile are the HTTP Basic credentials.
	Username     string `yaml:"username,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
	// TokenFile holds a bearer token, instead of Basic credentials.
	TokenFile string `yaml:"token_file,omitempty"`
}

// StorageConfig is the Sync Storage 1.5 server of `storage serve`.
type StorageConfig struct {
	// Listen is the address (default defaultStorageListen).
	Listen string `yaml:"listen,omitempty"`
	// QuotaBytes is the quota per user and collection (0: the default,
	// 2.5 GB; negative: none).
	QuotaBytes int64 `yaml:"quota_bytes,omitempty"`
	// TLSCert and TLSKey are PEM files; without them the server listens
	// on loopback only.
	TLSCert string `yaml:"tls_cert,omitempty"`
	TLSKey  string `yaml:"tls_key,omitempty"`
	// UsersFile holds the users and their password hashes (default
	// storage-users.yaml beside the config).
	UsersFile string `yaml:"users_file,omitempty"`
}

// HTTPConfig is the endpoint `run` serves: the status page, /metrics,
// /healthz, /readyz and the API.
type HTTPConfig struct {
	// Listen is the address to listen on (default defaultListen, loopback
	// only); "off" serves nothing.
	Listen string `yaml:"listen,omitempty"`
}

// LogConfig is how `run` logs.
type LogConfig struct {
	// Format is "text" (the default) or "json".
	Format string `yaml:"format,omitempty"`
	// Level is "debug", "info" (the default), "warn" or "error".
	Level string `yaml:"level,omitempty"`
}

// Defaults of the config keys of `run`.
const (
	defaultSchedule = "*/15 * * * *"
	defaultListen   = "127.0.0.1:8737"
	listenOff       = "off"
)

// listen is the configured HTTP address, "" when it is off.
func (c *Config) listen() string {
	switch c.HTTP.Listen {
	case "":
		return defaultListen
	case listenOff:
		return ""
	}
	return c.HTTP.Listen
}

// schedule is the schedule of account a.
func (c *Config) schedule(a AccountConfig) string {
	switch {
	case a.Schedule != "":
		return a.Schedule
	case c.Schedule != "":
		return c.Schedule
	}
	return defaultSchedule
}

// logLevel is the configured level (checked at load).
func (c *Config) logLevel() slog.Level {
	var l slog.Level
	if c.Log.Level != "" {
		_ = l.UnmarshalText([]byte(c.Log.Level))
	}
	return l
}

// checkRun checks the keys of `run`: every account's schedule (naming the
// account), the listen address and the log settings.
func (c *Config) checkRun() error {
	if c.HTTP.Listen != "" && c.HTTP.Listen != listenOff {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return fmt.Errorf("http.listen %q: want host:port, such as %s, or %q: %w", c.HTTP.Listen, defaultListen, listenOff, err)
		}
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		return fmt.Errorf("log.format %q: want text or json", c.Log.Format)
	}
	if c.Log.Level != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
			return fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level)
		}
	}
	if c.Schedule != "" {
		if _, err := scheduler.Parse(c.Schedule, scheduleOptions()); err != nil {
			return fmt.Errorf("schedule: %w", err)
		}
	}
	for _, a := range c.Accounts {
		if _, err := scheduler.Parse(c.schedule(a), scheduleOptions()); err != nil {
			return fmt.Errorf("account %q: %w", a.Name, err)
		}
	}
	return nil
}

// scheduleOptions is how schedules are read: in UTC unless they say
// CRON_TZ=, with @every intervals down to one second (the tests use
// them; the docs recommend minutes).
func scheduleOptions() scheduler.ParseOptions {
	return scheduler.ParseOptions{Location: time.UTC, MinInterval: time.Second}
}

// xdgDir returns $env, or ~/fallback when it is unset, as the XDG base
// directory spec says.
func xdgDir(env, fallback string) (string, error) {
	if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("config: find home directory for %s: %w", env, err)
	}
	return filepath.Join(home, fallback), nil
}

// configPath resolves the config file: the flag, else $CONTACTBRIDGE_CONFIG,
// else $XDG_CONFIG_HOME/contactbridge/config.yaml. isDefault reports the
// last case.
func configPath(flag string) (path string, isDefault bool, err error) {
	if flag != "" {
		return flag, false, nil
	}
	if env := os.Getenv(configEnv); env != "" {
		return env, false, nil
	}
	dir, err := xdgDir("XDG_CONFIG_HOME", ".config")
	if err != nil {
		return "", false, err
	}
	return filepath.Join(dir, "contactbridge", "config.yaml"), true, nil
}

// defaultConfig is the config init writes at path. At the default place it
// uses the XDG folders; elsewhere it keeps everything beside the config
// file, so that several setups never share a key by accident.
func defaultConfig(path string, isDefault bool) (*Config, error) {
	c := &Config{path: path, KeyFile: "sync.key", Store: StoreConfig{SQLite: "store.db"}}
	if !isDefault {
		return c, nil
	}
	data, err := xdgDir("XDG_DATA_HOME", filepath.Join(".local", "share"))
	if err != nil {
		return nil, err
	}
	c.KeyFile = filepath.Join(filepath.Dir(path), "sync.key")
	c.Store.SQLite = filepath.Join(data, "contactbridge", "store.db")
	return c, nil
}

// loadConfig reads and checks the config file at path. Unknown keys are
// errors, so that a typo does not silently fall back to a default.
func loadConfig(path string) (*Config, error) { return readConfig(path, false) }

// readConfig reads and checks the config file at path; serverOnly skips
// the keys only a bridge needs (key_file).
func readConfig(path string, serverOnly bool) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: %s does not exist: run `contactbridge init` first", path)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	c := &Config{path: path, serverOnly: serverOnly}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // an empty file is an empty config
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

func (c *Config) check() error {
	if c.KeyFile == "" && !c.serverOnly {
		return errors.New("key_file is missing")
	}
	if err := c.Store.check(); err != nil {
		return err
	}
	if _, err := bridge.ParsePolicy(c.ConflictPolicy); err != nil {
		return err
	}
	if err := c.checkAccounts(); err != nil {
		return err
	}
	return c.checkRun()
}

// policy is the configured conflict policy (checked at load).
func (c *Config) policy() bridge.Policy {
	p, _ := bridge.ParsePolicy(c.ConflictPolicy)
	return p
}

// save writes the config file, creating its folder (0700) but never
// replacing an existing file.
func (c *Config) save() error {
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	header := "# contactbridge configuration; see the README for every key.\n"
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if _, err := f.Write(append([]byte(header), b...)); err != nil {
		f.Close()
		return fmt.Errorf("config: write %s: %w", c.path, err)
	}
	return f.Close()
}

// resolve turns a path from the config into an absolute one: "~/" is the
// home folder, $VAR or ${VAR} an environment variable (systemd's
// $CREDENTIALS_DIRECTORY, say; an unset one is an error), and relative
// paths are relative to the config file's folder.
func (c *Config) resolve(p string) (string, error) {
	if strings.Contains(p, "$") {
		var missing []string
		p = os.Expand(p, func(v string) string {
			val, ok := os.LookupEnv(v)
			if !ok {
				missing = append(missing, v)
			}
			return val
		})
		if len(missing) > 0 {
			return "", fmt.Errorf("config: path names $%s, which is not set", strings.Join(missing, ", $"))
		}
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("config: expand %s: %w", p, err)
		}
		p = filepath.Join(home, strings.TrimPrefix(p, "~"))
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(c.path), p)
	}
	return filepath.Abs(p)
}
