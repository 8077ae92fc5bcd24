package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/httpapi"
	"github.com/contactbridge/contactbridge/store/postgres"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// defaultStorageListen is where `storage serve` listens without a
// storage.listen or --listen.
const defaultStorageListen = "127.0.0.1:8738"

// minPasswordLen is the shortest password `storage user` accepts.
const minPasswordLen = 12

func newStorageCommand(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Serve the store as a Sync Storage 1.5 server, and manage its users",
		Long: `storage serves the configured store (store.sqlite or store.postgres) over
HTTP as a Sync Storage 1.5 server: the encrypted hub of several people, each
reaching only their own /1.5/USER/ with HTTP Basic auth. Another bridge
points its store.remote at https://HOST/1.5/USER/.

Users live in storage.users_file (default storage-users.yaml beside the
config), as argon2id password hashes.`,
	}
	cmd.AddCommand(newStorageServeCommand(opts), newStorageUserCommand(opts))
	return cmd
}

func newStorageServeCommand(opts *options) *cobra.Command {
	var listen, cert, key string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the store over HTTP (Sync Storage 1.5)",
		Long: `serve answers the Sync Storage 1.5 API on storage.listen (default
127.0.0.1:8738) until SIGINT or SIGTERM. Without --tls-cert and --tls-key
(or storage.tls_cert and storage.tls_key) it listens on loopback only:
passwords never cross a network in clear text. Each user has a quota of
storage.quota_bytes (default 2.5 GB) per collection.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadStorageConfig(opts)
			if err != nil {
				return cannot(err)
			}
			if listen != "" {
				cfg.Storage.Listen = listen
			}
			if cert != "" || key != "" {
				cfg.Storage.TLSCert, cfg.Storage.TLSKey = cert, key
			}
			addr := cfg.Storage.Listen
			if addr == "" {
				addr = defaultStorageListen
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return cannot(fmt.Errorf("storage.listen %s: %w", addr, err))
			}
			return serveStorage(cmd.Context(), cfg, ln, newServiceLogger(cmd.ErrOrStderr(), cfg))
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to listen on (default storage.listen, else "+defaultStorageListen+")")
	cmd.Flags().StringVar(&cert, "tls-cert", "", "TLS certificate (PEM)")
	cmd.Flags().StringVar(&key, "tls-key", "", "TLS private key (PEM)")
	return cmd
}

// loadStorageConfig loads the config of the `storage` commands, which need
// no key_file.
func loadStorageConfig(o *options) (*Config, error) {
	path, _, err := configPath(o.configPath)
	if err != nil {
		return nil, err
	}
	return readConfig(path, true)
}

// serveStorage serves cfg's store on ln until ctx ends, and closes ln.
func serveStorage(ctx context.Context, cfg *Config, ln net.Listener, log *slog.Logger) error {
	defer ln.Close()
	tlsOn := cfg.Storage.TLSCert != "" || cfg.Storage.TLSKey != ""
	if tlsOn && (cfg.Storage.TLSCert == "" || cfg.Storage.TLSKey == "") {
		return cannot(errors.New("storage: TLS needs both a certificate and a key"))
	}
	if !tlsOn && !isLoopback(ln.Addr()) {
		return cannot(fmt.Errorf("storage: %s is not a loopback address: serving beyond this machine needs TLS (--tls-cert, --tls-key)", ln.Addr()))
	}
	st, err := openServedStore(ctx, cfg)
	if err != nil {
		return cannot(err)
	}
	defer st.Close()
	usersPath, err := cfg.storageUsersPath()
	if err != nil {
		return cannot(err)
	}
	users, err := openStorageUsers(usersPath)
	if err != nil {
		return cannot(err)
	}
	if len(users.names()) == 0 {
		log.Warn("storage: no users yet: add one with `contactbridge storage user add NAME`", "users_file", usersPath)
	}
	h, err := httpapi.New(httpapi.Options{Store: st, Auth: users, Logger: log})
	if err != nil {
		return cannot(err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if tlsOn {
		pair, err := tls.LoadX509KeyPair(cfg.Storage.TLSCert, cfg.Storage.TLSKey)
		if err != nil {
			return cannot(fmt.Errorf("storage: TLS: %w", err))
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
		ln = tls.NewListener(ln, srv.TLSConfig)
		scheme = "https"
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving Sync Storage 1.5", "url", scheme+"://"+ln.Addr().String()+"/1.5/USER/", "store", cfg.Store.describe(), "users_file", usersPath)
	select {
	case err := <-errc:
		return cannot(fmt.Errorf("storage: %w", err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("storage: requests cut short at shutdown", "err", err)
	}
	log.Info("storage: stopped")
	return nil
}

// openServedStore opens the backend `storage serve` serves, with the
// limits Sync clients expect and the configured quota.
func openServedStore(ctx context.Context, cfg *Config) (store.Store, error) {
	quota := cfg.Storage.QuotaBytes
	switch s := cfg.Store; {
	case s.Remote != nil:
		return nil, errors.New("storage: store.remote is itself a server; serve store.sqlite or store.postgres")
	case s.Postgres != "":
		st, err := postgres.Open(ctx, s.Postgres, postgres.Options{QuotaBytes: quota})
		if err != nil {
			return nil, fmt.Errorf("storage: open %s: %w", s.describe(), err)
		}
		return st, nil
	}
	path, err := cfg.resolve(cfg.Store.SQLite)
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{QuotaBytes: quota})
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	return st, nil
}

// storageUsersPath is the users file of cfg.
func (c *Config) storageUsersPath() (string, error) {
	if c.Storage.UsersFile != "" {
		return c.resolve(c.Storage.UsersFile)
	}
	return c.resolve("storage-users.yaml")
}

func newStorageUserCommand(opts *options) *cobra.Command {
	var passwordFile string
	open := func() (*storageUsers, error) {
		cfg, err := loadStorageConfig(opts)
		if err != nil {
			return nil, cannot(err)
		}
		p, err := cfg.storageUsersPath()
		if err != nil {
			return nil, cannot(err)
		}
		u, err := openStorageUsers(p)
		if err != nil {
			return nil, cannot(err)
		}
		return u, nil
	}
	setPassword := func(cmd *cobra.Command, name string, mustExist bool) error {
		if !userNamePattern.MatchString(name) || name == "." || name == ".." {
			return cannot(fmt.Errorf("storage user %q: 1 to 64 of a-z, A-Z, 0-9, '.', '_' and '-'", name))
		}
		if name == hubUser {
			return cannot(fmt.Errorf("storage user %q: the name of a bridge's own hub in a shared store; choose another", name))
		}
		u, err := open()
		if err != nil {
			return err
		}
		pw, err := readNewPassword(cmd, passwordFile)
		if err != nil {
			return cannot(err)
		}
		hash := hashPassword(pw)
		err = u.change(func(m map[string]string) error {
			_, exists := m[name]
			for other := range m {
				if other != name && strings.EqualFold(other, name) {
					return fmt.Errorf("storage user %q differs from %q only in case; choose another name", name, other)
				}
			}
			switch {
			case mustExist && !exists:
				return fmt.Errorf("storage user %q does not exist: add it with `storage user add`", name)
			case !mustExist && exists:
				return fmt.Errorf("storage user %q exists already: change its password with `storage user passwd`", name)
			}
			m[name] = hash
			return nil
		})
		if err != nil {
			return cannot(err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Storage user %s: password set\n", name)
		return nil
	}
	user := &cobra.Command{Use: "user", Short: "Manage the users of `storage serve`"}
	add := &cobra.Command{
		Use: "add NAME", Short: "Add a user (password from --password-file, else asked for)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return setPassword(cmd, args[0], false) },
	}
	passwd := &cobra.Command{
		Use: "passwd NAME", Short: "Change a user's password", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return setPassword(cmd, args[0], true) },
	}
	for _, c := range []*cobra.Command{add, passwd} {
		c.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file (its first line)")
	}
	remove := &cobra.Command{
		Use: "remove NAME", Short: "Remove a user (their records stay in the store)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := open()
			if err != nil {
				return err
			}
			name := args[0]
			if err := u.change(func(m map[string]string) error {
				if _, ok := m[name]; !ok {
					return fmt.Errorf("storage user %q does not exist", name)
				}
				delete(m, name)
				return nil
			}); err != nil {
				return cannot(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Storage user %s removed; their records stay in the store\n", name)
			return nil
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "List the users", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := open()
			if err != nil {
				return err
			}
			for _, n := range u.names() {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	}
	user.AddCommand(add, passwd, remove, list)
	return user
}

// readNewPassword reads a password from file, else asks for it twice on a
// terminal, else reads stdin's first line.
func readNewPassword(cmd *cobra.Command, file string) (string, error) {
	var pw string
	switch in := cmd.InOrStdin(); {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		pw, _, _ = strings.Cut(string(b), "\n")
	case readsTerminal(in):
		fd := int(in.(*os.File).Fd())
		fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
		a, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Again: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		pw = string(a)
	default:
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		pw = line
	}
	pw = strings.TrimRight(pw, "\r\n")
	if len(pw) < minPasswordLen {
		return "", fmt.Errorf("the password is shorter than %d characters", minPasswordLen)
	}
	return pw, nil
}

// readsTerminal reports whether r is a terminal.
func readsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
