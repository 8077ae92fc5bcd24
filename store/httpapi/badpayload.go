package httpapi

import (
	"regexp"

	"github.com/contactbridge/contactbridge/store"
)

// zeroIV matches a payload encrypted with an all-zero IV, which a broken
// client once wrote to crypto/keys; syncstorage-rs refuses it there
// (reference §5.6), and so does this server.
var zeroIV = regexp.MustCompile(`IV":\s*"AAAAAAAAAAAAAAAAAAAAAA==`)

// checkKnownBadPayloads refuses writes to the crypto collection whose
// payload has an all-zero IV; other collections take any payload.
func checkKnownBadPayloads(collection string, ws []store.Write) error {
	if collection != "crypto" {
		return nil
	}
	for _, w := range ws {
		if w.Payload != nil && zeroIV.MatchString(*w.Payload) {
			return badRequest(codeInvalidBSO, "known-bad payload in crypto")
		}
	}
	return nil
}
