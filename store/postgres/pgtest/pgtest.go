// Package pgtest runs real PostgreSQL servers for tests: a fresh cluster in a
// temporary directory, fsync off, on 127.0.0.1 at a free port and on a unix
// socket in that directory, stopped when the tests end.
//
// A package whose tests need PostgreSQL starts one server for the whole test
// binary and gives each test a database of its own:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.Start(t) // a new, empty database
//		…
//	}
//
// Without Main, Start starts a server for the one test. With EnvDSN set, no
// server is started: every database is made on the server it names.
//
// PostgreSQL refuses to run as root; as root, the server runs as the
// postgres system user that the Debian packages create. When PostgreSQL is
// not installed, Start skips the test with a loud message, except when the
// environment has CI=true: CI must never pass without the real server.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// EnvDSN names the environment variable that points the tests at a running
// server: the DSN of a role that may create databases. Main sets it for the
// server it starts; a developer may set it to use a server of their own.
const EnvDSN = "CONTACTBRIDGE_PGTEST_DSN"

// envLog names the environment variable that holds the path of the log of
// the server Main started, for Start to show when a test fails.
const envLog = "CONTACTBRIDGE_PGTEST_LOG"

// setupTimeout bounds starting a server and making a database.
const setupTimeout = 60 * time.Second

// Start returns the DSN of a new, empty database for t on the server of
// Main or EnvDSN, or on a server started for t alone (stopped when t ends).
// The database is dropped when t ends. When t fails, the end of the server's
// log goes to t's log.
func Start(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin := os.Getenv(EnvDSN)
	logPath := os.Getenv(envLog)
	if admin == "" {
		s, err := StartServer(ctx)
		if errors.Is(err, ErrNotInstalled) {
			missing(t, err)
		}
		if err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Stop(); err != nil {
				t.Errorf("pgtest: %v", err)
			}
		})
		admin, logPath = s.DSN(), s.LogPath()
	}
	t.Cleanup(func() {
		if t.Failed() && logPath != "" {
			t.Logf("pgtest: end of the PostgreSQL server log %s:\n%s", logPath, tail(logPath, logTail))
		}
	})
	dsn, err := CreateDatabase(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := DropDatabase(ctx, admin, dsn); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// missing skips t, or fails it when CI=true, because PostgreSQL is not
// installed.
func missing(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("pgtest: %v: THE TESTS AGAINST A REAL POSTGRESQL DO NOT RUN (apt-get install postgresql, or make deps)", err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing server is a failure)")
	}
	t.Skip("**** " + msg + " ****")
}

// Main runs the tests of m with one server shared by every Start, and
// exits with their status. When PostgreSQL is missing the tests still run,
// and each Start skips or fails as it would alone. When the tests fail, the
// end of the server's log goes to stderr.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(EnvDSN) != "" {
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	s, err := StartServer(ctx)
	cancel()
	if errors.Is(err, ErrNotInstalled) {
		fmt.Fprintf(os.Stderr, "**** pgtest: %v: THE TESTS AGAINST A REAL POSTGRESQL DO NOT RUN ****\n", err)
		return m.Run()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	code := func() int {
		os.Setenv(EnvDSN, s.DSN())
		os.Setenv(envLog, s.LogPath())
		defer os.Unsetenv(EnvDSN)
		defer os.Unsetenv(envLog)
		return m.Run()
	}()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "pgtest: end of the PostgreSQL server log:\n%s\n", tail(s.LogPath(), logTail))
	}
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
