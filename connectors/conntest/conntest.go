// Package conntest is the conformance suite every connector must pass.
//
// A connector's test calls Run with a Harness that makes a fresh, empty
// remote for each case:
//
//	func TestConformance(t *testing.T) {
//		conntest.Run(t, conntest.Harness{
//			PageSize: 100,
//			New: func(t *testing.T) conntest.Instance {
//				c, err := vdir.New(vdir.Config{Path: t.TempDir(), PageSize: 100})
//				if err != nil {
//					t.Fatal(err)
//				}
//				return conntest.Instance{Connector: c}
//			},
//		})
//	}
//
// The suite drives the connector as the bridge does and checks the contract
// of connectors.Connector: preconditions, idempotent creates, change tokens
// and full listings, paging, and that every card of the corpus comes back
// equal by canonical hash (modulo what the remote can store). Cases that need
// to act on the remote behind the connector's back (another client's edit,
// token expiry) run when the Instance provides the hook and are skipped
// otherwise, with the reason.
package conntest

import (
	"context"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// DefaultMany is the number of contacts of the paging case when
// Harness.Many is 0.
const DefaultMany = 1050

// maxPageDefault bounds pages when Harness.PageSize is 0.
const maxPageDefault = 1000

// A Harness tells the suite how to make and reach a connector.
type Harness struct {
	// New returns a connector to a fresh, empty remote, for one case. It
	// registers any cleanup with t.Cleanup.
	New func(t *testing.T) Instance

	// PageSize is the most changes the connector puts in one page; every
	// page is checked against it. 0 means 1,000.
	PageSize int

	// Many is the number of contacts the paging case creates (default
	// DefaultMany). Keep it above 1,000 and above twice PageSize.
	Many int

	// Corpus is the folder of .vcf files every card of which must survive
	// a round trip (default: testdata/vcards of the module).
	Corpus string

	// Project returns what the remote is expected to keep of card. The
	// default is Capabilities.Project. A connector that converts to a native format and
	// loses more (parameters, groups) describes that here.
	Project func(caps connectors.Capabilities, card *mapping.Card) *mapping.Card

	// NoUID, when set, says why the remote has nowhere to keep a UID
	// (Graph's contacts have no such field, and delta reads return no
	// extended properties): the suite then checks that Capabilities does
	// not claim UID, so that the bridge keeps it in the hub.
	NoUID string
}

// An Instance is one connector under test, with optional hooks that act on
// its remote as another client would. A nil hook skips the cases that need
// it.
type Instance struct {
	Connector connectors.Connector

	// Edit changes the item id on the remote behind the connector's back:
	// edit gets the card to change in place.
	Edit func(ctx context.Context, id string, edit func(*mapping.Card)) error

	// Delete removes the item id on the remote behind the connector's back.
	Delete func(ctx context.Context, id string) error

	// Add creates a contact on the remote behind the connector's back and
	// returns its id.
	Add func(ctx context.Context, card *mapping.Card) (id string, err error)

	// ExpireTokens makes every change token issued so far unacceptable, as
	// a remote does when its change log is trimmed.
	ExpireTokens func(ctx context.Context) error
}

// Run runs every case of the suite on the connectors h makes, one subtest
// per case.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("conntest: Harness.New is nil")
	}
	if h.PageSize <= 0 {
		h.PageSize = maxPageDefault
	}
	if h.Many <= 0 {
		h.Many = DefaultMany
	}
	if h.Project == nil {
		h.Project = func(caps connectors.Capabilities, card *mapping.Card) *mapping.Card { return caps.Project(card) }
	}
	s := &suite{h: h}
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Capabilities", s.capabilities},
		{"EmptyListing", s.emptyListing},
		{"RoundTrip", s.roundTrip},
		{"StaleETag", s.staleETag},
		{"Missing", s.missing},
		{"CreateRetry", s.createRetry},
		{"CreateConcurrent", s.createConcurrent},
		{"ChangesAfter", s.changesAfter},
		{"NoChanges", s.noChanges},
		{"TokenExpired", s.tokenExpired},
		{"CallbackError", s.callbackError},
		{"Cancelled", s.cancelled},
		{"Corpus", s.corpus},
		{"LargePhoto", s.largePhoto},
		{"Paging", s.paging},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}
