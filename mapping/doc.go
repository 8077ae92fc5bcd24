// Package mapping owns the contact model and the hub's record format: vCard
// parsing and canonical serialisation, a hash that ignores cosmetic changes,
// property-level diff and three-way merge, the record payload, and Firefox
// Sync storage format v5 encryption (key derivation, key bundles,
// crypto/keys, GUIDs). It does no I/O.
//
// # vCard
//
// A Card holds the properties of one vCard with vCard 4.0 semantics,
// whatever version it was read from (2.1, 3.0 or 4.0). ParseAll reads a
// file of cards, Parse exactly one; Marshal writes canonical 4.0 (the hub's
// form) or 3.0 (for remotes); Hash is the change-detection hash; Diff and
// Merge work property by property.
//
// The package has its own small content-line lexer (lex.go) and keeps
// go-vcard for its names of properties and parameters. go-vcard's decoder
// cannot be repaired by pre- and post-processing without losing data: it
// unescapes "\\" but not "\;", so after decoding "a\\;b" and "a\;b" can no
// longer be told apart in N, ADR or ORG; it drops the continuation of a
// QUOTED-PRINTABLE soft line break, turns "TEL;HOME;VOICE:1" into a
// parameter holding the value, and skips lines it cannot read without an
// error. Its encoder neither folds, nor escapes ";", nor quotes parameter
// values. The own lexer also makes parsing cheap: values are slices of the
// input, parameters come from one arena per card.
//
// Values are kept escaped, exactly as a 4.0 content line carries them
// (Property.Value), because only the escapes tell a separator from a literal
// ";" or "," in N, ADR, ORG and CATEGORIES; Text, Components and List
// decode them. Unknown and X- properties are kept byte for byte, with their
// parameters and groups, since their syntax is unknown.
//
// Text that is not UTF-8 is decoded by its CHARSET parameter; undeclared
// 8-bit text by the charset another line of the card declares, else as
// Windows-1252 (see charset.go). The result is always valid UTF-8. Errors
// (*ParseError) name the source and line, never a value.
package mapping
