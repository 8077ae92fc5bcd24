package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/postgres"
	"github.com/contactbridge/contactbridge/store/remote"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// hubUser is the store user the embedded and PostgreSQL stores keep this
// person's hub under unless store.user names another. On a remote store it
// is the user the URL names.
const hubUser = "local"

// user is the store user of a sqlite or postgres hub.
func (s StoreConfig) user() string {
	if s.User != "" {
		return s.User
	}
	return hubUser
}

// check checks that exactly one backend is named, and the remote's keys.
func (s StoreConfig) check() error {
	n := 0
	for _, set := range []bool{s.SQLite != "", s.Postgres != "", s.Remote != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return errors.New("store: name a backend (store.sqlite, store.postgres or store.remote)")
	case n > 1:
		return errors.New("store: name exactly one of store.sqlite, store.postgres and store.remote")
	case s.User != "" && (s.Remote != nil || !userNamePattern.MatchString(s.User)):
		return fmt.Errorf("store.user %q: a name of a-z, A-Z, 0-9, '.', '_', '-' for sqlite or postgres (a remote store's user is in its URL)", s.User)
	case s.Remote != nil:
		if _, _, err := s.Remote.split(); err != nil {
			return err
		}
		if s.Remote.TokenFile != "" && (s.Remote.Username != "" || s.Remote.PasswordFile != "") {
			return errors.New("store.remote: token_file or username and password_file, not both")
		}
		if (s.Remote.Username == "") != (s.Remote.PasswordFile == "") {
			return errors.New("store.remote: username and password_file go together")
		}
	}
	return nil
}

// describe names the store for messages, without secrets.
func (s StoreConfig) describe() string {
	switch {
	case s.Postgres != "":
		return "postgres " + redactDSN(s.Postgres)
	case s.Remote != nil:
		if u, err := url.Parse(s.Remote.URL); err == nil {
			return u.Redacted()
		}
		return "(remote store URL)"
	}
	return s.SQLite
}

// redactDSN hides the passwords of a PostgreSQL connection string: the
// user info and the password and sslpassword parameters of a URL; a
// key=value string that names a password is not shown at all.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return u.Redacted()
	}
	if strings.Contains(strings.ToLower(dsn), "password") {
		return "(connection string)"
	}
	return dsn
}

// split returns the server's Sync 1.5 root and the user of the remote's
// URL, which must be https://HOST[/PREFIX]/1.5/USER/ with no credentials
// in it.
func (r *RemoteStoreConfig) split() (base, user string, err error) {
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("store.remote.url: want https://HOST/1.5/USER/")
	}
	if u.User != nil {
		return "", "", fmt.Errorf("store.remote.url %s: put the credentials in username and password_file, not in the URL", u.Redacted())
	}
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	user = path.Base(p)
	if path.Base(path.Dir(p)) != "1.5" || !userNamePattern.MatchString(user) || user == "." || user == ".." {
		return "", "", fmt.Errorf("store.remote.url %s: want https://HOST/1.5/USER/ (USER of a-z, A-Z, 0-9, '.', '_', '-')", u.Redacted())
	}
	u.Path = path.Dir(p) + "/"
	u.RawPath = ""
	return u.String(), user, nil
}

// localPath is the name this setup's local files (the data lock, the run
// log, the owner id) start with: the SQLite database's path, else the
// config's path without its extension plus ".hub" (config.hub.lock), so
// that two configs in one folder keep theirs apart.
func (c *Config) localPath() (string, error) {
	if c.Store.SQLite != "" {
		return c.resolve(c.Store.SQLite)
	}
	abs, err := filepath.Abs(c.path)
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	return strings.TrimSuffix(abs, filepath.Ext(abs)) + ".hub", nil
}

// owner is this setup's id on a hub several bridges may share (store.remote
// or store.postgres): a random id kept in localPath + ".owner" (beside the
// config), made on first use. The bridge refuses to sync an account whose state
// another owner wrote (bridge.ErrOtherOwner). On the embedded store, which
// only this setup opens, it is "" (no check), so that a store.db copied to
// a new machine keeps working.
func (c *Config) owner() (string, error) {
	if c.Store.SQLite != "" {
		return "", nil
	}
	base, err := c.localPath()
	if err != nil {
		return "", err
	}
	p := base + ".owner"
	b, err := os.ReadFile(p)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("owner id: %w", err)
	}
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	s := hex.EncodeToString(id[:])
	if err := writeFileAtomic(p, []byte(s+"\n")); err != nil {
		return "", fmt.Errorf("owner id: %w", err)
	}
	return s, nil
}

// openStore opens the store backend the config names and returns it with
// the store user the hub lives under.
func openStore(ctx context.Context, cfg *Config) (store.Store, string, error) {
	s := cfg.Store
	switch {
	case s.Postgres != "":
		st, err := postgres.Open(ctx, s.Postgres, postgres.Options{})
		if err != nil {
			return nil, "", fmt.Errorf("store: open %s: %w", s.describe(), err)
		}
		return st, s.user(), nil
	case s.Remote != nil:
		base, user, err := s.Remote.split()
		if err != nil {
			return nil, "", err
		}
		creds, err := cfg.remoteCredentials()
		if err != nil {
			return nil, "", err
		}
		st, err := remote.Open(ctx, remote.Options{BaseURL: base, User: user,
			Credentials: func(string) (remote.Credentials, error) { return creds, nil }})
		if err != nil {
			return nil, "", fmt.Errorf("store: open %s: %w", s.describe(), err)
		}
		return st, user, nil
	}
	path, err := cfg.resolve(s.SQLite)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("store: %w", err)
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Limits: sqlite.LocalLimits()})
	if err != nil {
		return nil, "", fmt.Errorf("store: open %s: %w", path, err)
	}
	return st, s.user(), nil
}

// remoteCredentials reads the remote store's password or token file
// (first line; a file others may read is refused).
func (c *Config) remoteCredentials() (remote.Credentials, error) {
	r := c.Store.Remote
	read := func(key, file string) (string, error) {
		p, err := c.resolve(file)
		if err != nil {
			return "", err
		}
		return readSecretFile(p, "store.remote."+key)
	}
	switch {
	case r.TokenFile != "":
		t, err := read("token_file", r.TokenFile)
		return remote.Credentials{BearerToken: t}, err
	case r.PasswordFile != "":
		pw, err := read("password_file", r.PasswordFile)
		return remote.Credentials{Username: r.Username, Password: pw}, err
	}
	return remote.Credentials{}, nil
}
