package davtest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
)

// XandikosBin is where Debian installs Xandikos.
const XandikosBin = "/usr/bin/xandikos"

// Xandikos starts Xandikos for t on a free loopback port with --defaults
// (principal /user/, home set /user/contacts/), storing in a temporary
// folder. It is stopped when t ends. Standalone Xandikos has no
// authentication: Username and Password are set but ignored.
//
// Xandikos keeps every collection in a git repository, and its sync token
// is the id of the collection's tree; a token stays valid as long as that
// tree is in the repository, which nothing prunes. There is no honest way
// to expire tokens without rewriting its repository underneath the running
// server, so ExpireTokens returns nil (the suite skips that case) and the
// connector's reading of Xandikos's answer to an unknown token (500) is
// covered by a unit test and by asking with a made-up token.
func Xandikos(t testing.TB) *Server {
	t.Helper()
	requireBinary(t, XandikosBin)
	dir := t.TempDir()
	port := freePort(t)
	data := filepath.Join(dir, "data")
	start(t, "xandikos", XandikosBin,
		[]string{"-d", data, "-l", "127.0.0.1", "-p", strconv.Itoa(port), "--defaults"},
		dir, fmt.Sprintf("http://127.0.0.1:%d/health", port))
	return &Server{
		Name:     "xandikos",
		URL:      baseURL(port),
		Username: "alice",
		Password: "secret",
		Home:     "/user/contacts/",
		client:   newHTTPClient(),
	}
}
