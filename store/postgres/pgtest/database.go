package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// CreateDatabase creates a new, empty database with a random name on the
// server of admin (the DSN of a role that may create databases) and
// returns its DSN: admin with the database replaced.
func CreateDatabase(ctx context.Context, admin string) (string, error) {
	var raw [6]byte
	rand.Read(raw[:])
	name := "test_" + hex.EncodeToString(raw[:])
	dsn, err := withDatabase(admin, name)
	if err != nil {
		return "", err
	}
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return dsn, nil
}

// DropDatabase drops the database of dsn, made by CreateDatabase on the
// server of admin, and ends the sessions still connected to it.
func DropDatabase(ctx context.Context, admin, dsn string) error {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("pgtest: drop database: %w", err)
	}
	if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", cfg.Database, err)
	}
	return nil
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns dsn, a URL or keyword/value string, naming database
// name instead of its own.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: DSN: %w", err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// In a keyword/value string the last setting of a keyword counts.
	return strings.TrimSpace(dsn) + " dbname=" + name, nil
}
