package sqlite

import (
	"context"
	"database/sql"
	"os"
)

// A checkpointer copies the WAL back into the database file on its own
// connection, beside the writer, so that a write rarely pays for a
// checkpoint itself. The writer kicks it after every commit; it runs a
// PASSIVE checkpoint (which never blocks readers or the writer) once the WAL
// has grown past checkpointBytes. Should it fall behind, SQLite's own
// automatic checkpoint in the writer (wal_autocheckpoint) still bounds the
// WAL. A failed checkpoint is left to the next one: nothing depends on it.
type checkpointer struct {
	db      *sql.DB
	walPath string
	kick    chan struct{}
	done    chan struct{}
}

// checkpointBytes is the WAL size that starts a background checkpoint.
const checkpointBytes = 8 << 20

func startCheckpointer(db *sql.DB, walPath string) *checkpointer {
	c := &checkpointer{db: db, walPath: walPath, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// poke asks for a checkpoint if the WAL is large; it never blocks.
func (c *checkpointer) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for range c.kick {
		fi, err := os.Stat(c.walPath)
		if err != nil || fi.Size() < checkpointBytes {
			continue
		}
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// stop ends the goroutine and closes its connection.
func (c *checkpointer) stop() error {
	close(c.kick)
	<-c.done
	return c.db.Close()
}
