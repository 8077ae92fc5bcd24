package davtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
)

// RadicaleBin is where Debian installs Radicale.
const RadicaleBin = "/usr/bin/radicale"

// Radicale starts Radicale 3 for t on a free loopback port, with htpasswd
// authentication (plain: alice / secret) and its own --config file, so the
// system configuration (/etc/radicale/config) is never read. Its storage is
// a temporary folder. It is stopped when t ends.
//
// Its ExpireTokens is honest: Radicale keeps the state each sync token
// stands for in .Radicale.cache/sync-token of the collection and answers
// 403 valid-sync-token when it is gone, as it is once older than
// max_sync_token_age. The hook removes those files, then creates and
// deletes a card so that the collection's state (and so its current token)
// moves on: Radicale answers a token equal to the current one without
// reading its cache.
func Radicale(t testing.TB) *Server {
	t.Helper()
	requireBinary(t, RadicaleBin)
	dir := t.TempDir()
	port := freePort(t)
	config := RadicaleConfig(port, filepath.Join(dir, "users"), filepath.Join(dir, "collections"))
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte("alice:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, "radicale", RadicaleBin, []string{"--config", filepath.Join(dir, "config")}, dir, baseURL(port))
	s := &Server{
		Name:     "radicale",
		URL:      baseURL(port),
		Username: "alice",
		Password: "secret",
		Home:     "/alice/",
		client:   newHTTPClient(),
	}
	// The principal (and home) is made on the first authenticated request.
	if res, err := s.Do(context.Background(), "PROPFIND", "/alice/", map[string]string{"Depth": "0"}, nil); err != nil || res.Status != http.StatusMultiStatus {
		t.Fatalf("davtest: radicale: PROPFIND /alice/: %v %v", res, err)
	}
	collections := filepath.Join(dir, "collections", "collection-root")
	s.expire = func(ctx context.Context, s *Server, book string) error {
		folder := filepath.Join(collections, filepath.FromSlash(strings.Trim(book, "/")))
		if err := os.RemoveAll(filepath.Join(folder, ".Radicale.cache", "sync-token")); err != nil {
			return err
		}
		card := &mapping.Card{}
		card.Add(mapping.Property{Name: "FN", Value: "Expiry Marker"})
		card.Add(mapping.Property{Name: "UID", Value: "davtest-expiry-" + randomHex(6)})
		href, err := s.Add(ctx, book, card)
		if err != nil {
			return err
		}
		return s.Delete(ctx, href)
	}
	return s
}

// RadicaleConfig is the config file of a Radicale listening on
// 127.0.0.1:port with htpasswd authentication (plain passwords in the file
// users) and its storage in the folder collections. Pass it with --config:
// that replaces the system's config, whose Debian default authenticates by
// remote_user.
func RadicaleConfig(port int, users, collections string) string {
	return fmt.Sprintf(`[server]
hosts = 127.0.0.1:%d

[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = %s

[web]
type = none

[logging]
level = warning
`, port, users, collections)
}
