package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/postgres"
	"github.com/contactbridge/contactbridge/store/postgres/pgtest"
	"github.com/contactbridge/contactbridge/store/storetest"
)

// One server for the whole test binary; each test gets a database of its
// own, each store a schema of its own.
func TestMain(m *testing.M) { pgtest.Main(m) }

// newSchema returns a fresh schema name.
func newSchema() string {
	var raw [6]byte
	rand.Read(raw[:])
	return "s_" + hex.EncodeToString(raw[:])
}

func open(t testing.TB, dsn string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	dsn := pgtest.Start(t)
	storetest.Run(t, func(t *testing.T, opts storetest.Options) store.Store {
		return open(t, dsn, postgres.Options{QuotaBytes: opts.QuotaBytes, Limits: opts.Limits, Now: opts.Now, Schema: newSchema()})
	})
}
