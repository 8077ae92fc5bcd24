package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStartAlone starts a server for one test, as Start does without Main,
// and checks that the database it returns is usable and new.
func TestStartAlone(t *testing.T) {
	t.Setenv(EnvDSN, "")
	dsn := Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("a new database has %d tables", tables)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE t (x int)`); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		var user string
		if err := conn.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != "postgres" {
			t.Fatalf("current_user = %q, %v", user, err)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u@127.0.0.1:5432/postgres?sslmode=disable", "postgres://u@127.0.0.1:5432/test_x?sslmode=disable"},
		{"postgresql://u@h/", "postgresql://u@h/test_x"},
		{"host=/tmp port=5432 dbname=postgres", "host=/tmp port=5432 dbname=postgres dbname=test_x"},
	} {
		got, err := withDatabase(tc.dsn, "test_x")
		if err != nil || got != tc.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.dsn, got, err, tc.want)
		}
	}
}
