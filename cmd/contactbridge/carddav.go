package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/carddav"
	"github.com/contactbridge/contactbridge/connectors/memory"
)

// carddavSettings are the config keys of a carddav account. Secrets are
// never written in the config itself: the password comes from a file or an
// environment variable.
type carddavSettings struct {
	// URL is the server: its root, a principal, an address-book home or an
	// address book. /.well-known/carddav on its host is tried first.
	URL string `yaml:"url,omitempty"`
	// Username is the HTTP Basic user name.
	Username string `yaml:"username,omitempty"`
	// PasswordFile holds the password (mode 0600; one line).
	PasswordFile string `yaml:"password_file,omitempty"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env,omitempty"`
	// TokenFile holds a bearer token, for servers that take one instead
	// of a password (mode 0600).
	TokenFile string `yaml:"token_file,omitempty"`
	// AddressBook picks the address book by display name or path; empty
	// means the only one the server has.
	AddressBook string `yaml:"addressbook,omitempty"`
	// CAFile adds PEM certificates to the trusted roots (a private CA);
	// TLS is always verified.
	CAFile string `yaml:"ca_file,omitempty"`
	// Concurrency is how many writes are sent at once (default 4).
	Concurrency int `yaml:"concurrency,omitempty"`
	// Timeout bounds each request ("60s" by default).
	Timeout string `yaml:"timeout,omitempty"`

	// Password is refused: it is here only to say so clearly.
	Password string `yaml:"password,omitempty"`
}

// unused reports a carddav key set on an account of another type.
func (s carddavSettings) unused() error {
	if s != (carddavSettings{}) {
		return errors.New("url, username, password_file, password_env, token_file, addressbook, ca_file, concurrency and timeout belong to type carddav")
	}
	return nil
}

func checkCardDAV(a AccountConfig) error {
	s := a.carddavSettings
	if s.Password != "" {
		return errors.New("password must not be written in the config: put it in a file named by password_file (mode 0600) or in an environment variable named by password_env")
	}
	if a.Path != "" || a.Version != "" {
		return errors.New("path and version belong to type vdir")
	}
	if err := unusedKeys(a.oauthSettings, a.googleSettings, a.outlookSettings); err != nil {
		return fmt.Errorf("type carddav: %w", err)
	}
	if s.URL == "" {
		return errors.New("type carddav needs url (the server, e.g. https://cloud.example.com/remote.php/dav/)")
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("url %q: want an http:// or https:// address", s.URL)
	}
	if u.User != nil {
		return errors.New("url must not hold a user name or password: use username and password_file")
	}
	secrets := 0
	for _, v := range []string{s.PasswordFile, s.PasswordEnv, s.TokenFile} {
		if v != "" {
			secrets++
		}
	}
	if secrets > 1 {
		return errors.New("give one of password_file, password_env and token_file")
	}
	if (s.PasswordFile != "" || s.PasswordEnv != "") && s.Username == "" {
		return errors.New("a password needs a username")
	}
	if s.Concurrency < 0 || s.Concurrency > 32 {
		return fmt.Errorf("concurrency %d: want 1 to 32", s.Concurrency)
	}
	if s.Timeout != "" {
		if d, err := time.ParseDuration(s.Timeout); err != nil || d <= 0 {
			return fmt.Errorf("timeout %q: want a duration such as 60s or 2m", s.Timeout)
		}
	}
	return nil
}

// carddavConfig turns an account's settings into the connector's config,
// reading its secret.
func carddavConfig(cfg *Config, a AccountConfig, log *slog.Logger) (carddav.Config, error) {
	s := a.carddavSettings
	c := carddav.Config{
		URL:         s.URL,
		Username:    s.Username,
		AddressBook: s.AddressBook,
		Create:      a.Create,
		Concurrency: s.Concurrency,
		Logger:      log,
	}
	if s.Timeout != "" {
		c.Timeout, _ = time.ParseDuration(s.Timeout) // checked at load
	}
	var err error
	if s.CAFile != "" {
		if c.CAFile, err = cfg.resolve(s.CAFile); err != nil {
			return c, err
		}
	}
	switch {
	case s.PasswordFile != "":
		path, err := cfg.resolve(s.PasswordFile)
		if err != nil {
			return c, err
		}
		if c.Password, err = readSecretFile(path, "password_file"); err != nil {
			return c, err
		}
	case s.PasswordEnv != "":
		v, ok := os.LookupEnv(s.PasswordEnv)
		if !ok || v == "" {
			return c, fmt.Errorf("password_env: the environment variable %s is not set", s.PasswordEnv)
		}
		c.Password = v
	case s.TokenFile != "":
		path, err := cfg.resolve(s.TokenFile)
		if err != nil {
			return c, err
		}
		if c.BearerToken, err = readSecretFile(path, "token_file"); err != nil {
			return c, err
		}
	}
	return c, nil
}

func openCardDAV(ctx context.Context, cfg *Config, a AccountConfig, env openEnv) (connectors.Connector, error) {
	c, err := carddavConfig(cfg, a, env.log)
	if err != nil {
		return nil, err
	}
	if env.dryRun && c.Create {
		// A dry run creates nothing: when the address book is missing,
		// plan against an empty stand-in.
		c.Create = false
		conn, err := carddav.New(ctx, c)
		if errors.Is(err, carddav.ErrNoAddressBook) {
			return memory.New(memory.Config{}), nil
		}
		return conn, err
	}
	// The address book is found on the first run and remembered in the
	// account's state (connectors.Resumer), so a later run costs no
	// discovery.
	return carddav.Open(c)
}

// readSecretFile reads a password or token from path: its first line,
// without the line ending. A file others may read is refused, as ssh
// refuses such a key.
func readSecretFile(path, key string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s: %s can be read by other users (mode %04o): run `chmod 600 %s`", key, path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%s: %s is empty", key, path)
	}
	return line, nil
}
