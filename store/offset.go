package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// A Position is where a page ended in a List order: the sort key (modified,
// or the sortindex key for SortIndex) and id of its last record. The
// next page starts strictly after it, so records written between pages do
// not shift the pages that follow, as a numeric offset would.
type Position struct {
	Key int64
	ID  string
}

// NoSortIndex is the sort key of a record without a sortindex: below every
// valid one, so such records come last in SortIndex order.
const NoSortIndex = -MaxSortIndex - 1

// EncodeOffset makes the opaque NextOffset of a backend: "<sort>:<key>:<id>" in
// unpadded URL-safe base64, so that it fits X-Weave-Next-Offset as is.
func EncodeOffset(sort Sort, p Position) string {
	raw := strconv.Itoa(int(sort)) + ":" + strconv.FormatInt(p.Key, 10) + ":" + p.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeOffset reads an offset made by EncodeOffset for the same sort; any
// other is ErrInvalid.
func DecodeOffset(s string, sort Sort) (Position, error) {
	bad := fmt.Errorf("offset %q: %w", s, ErrInvalid)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Position{}, bad
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 || parts[0] != strconv.Itoa(int(sort)) || !ValidID(parts[2]) {
		return Position{}, bad
	}
	key, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return Position{}, bad
	}
	return Position{Key: key, ID: parts[2]}, nil
}
