package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// Info implements store.Store. A collection's totals are kept up to date by
// every write; only a collection where some record may have expired since
// its last write is counted afresh.
func (s *Store) Info(ctx context.Context, user string) (map[string]store.Usage, error) {
	info := map[string]store.Usage{}
	err := checkUser(user)
	if err == nil {
		err = s.read(ctx, func(tx *sql.Tx, nowMS int64) error {
			type stale struct {
				cid  int64
				name string
			}
			var recount []stale
			rows, err := tx.StmtContext(ctx, s.rstmts.info).QueryContext(ctx, user)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var cid, modified, minExpiry int64
				var name string
				var u store.Usage
				if err := rows.Scan(&cid, &name, &modified, &u.Count, &u.Bytes, &minExpiry); err != nil {
					return err
				}
				u.Modified = store.Timestamp(modified)
				info[name] = u
				if minExpiry <= nowMS {
					recount = append(recount, stale{cid, name})
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for _, c := range recount {
				u := info[c.name]
				if err := tx.StmtContext(ctx, s.rstmts.infoScan).QueryRowContext(ctx, c.cid, nowMS).Scan(&u.Count, &u.Bytes); err != nil {
					return err
				}
				info[c.name] = u
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: info %s: %w", user, err)
	}
	return info, nil
}
