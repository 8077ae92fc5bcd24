package postgres

import (
	"context"
	"fmt"

	"github.com/contactbridge/contactbridge/store"
)

// infoSQL reads the collections of a user with their totals, which every
// write keeps up to date. Only a collection where some record may have
// expired since its last write ($2 has reached its min_expiry) is counted
// afresh: CASE evaluates a branch's subquery only when it takes it.
const infoSQL = `SELECT c.name, c.modified,
	CASE WHEN c.min_expiry > $2 THEN c.count
		ELSE (SELECT count(*) FROM bso b WHERE b.cid = c.cid AND b.expiry > $2) END,
	CASE WHEN c.min_expiry > $2 THEN c.bytes
		ELSE (SELECT coalesce(sum(b.size), 0) FROM bso b WHERE b.cid = c.cid AND b.expiry > $2) END
	FROM collections c WHERE c.username = $1`

// Info implements store.Store. It reads in one statement, so one snapshot.
func (s *Store) Info(ctx context.Context, user string) (map[string]store.Usage, error) {
	info := map[string]store.Usage{}
	err := checkUser(user)
	if err == nil {
		err = func() error {
			rows, err := s.pool.Query(ctx, infoSQL, user, s.now().UnixMilli())
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var name string
				var modified int64
				var u store.Usage
				if err := rows.Scan(&name, &modified, &u.Count, &u.Bytes); err != nil {
					return err
				}
				u.Modified = store.Timestamp(modified)
				info[name] = u
			}
			return rows.Err()
		}()
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: info %s: %w", user, err)
	}
	return info, nil
}
