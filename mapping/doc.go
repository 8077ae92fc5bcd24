// Package mapping owns the contact model and the hub's record format: vCard
// parsing and canonical serialisation, a hash that ignores cosmetic changes,
// property-level diff and three-way merge, the record payload, and Firefox
// Sync storage format v5 encryption (key derivation, key bundles,
// crypto/keys, GUIDs). It does no I/O.
package mapping
