package carddav_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/carddav"
	"github.com/contactbridge/contactbridge/connectors/carddav/davtest"
	"github.com/contactbridge/contactbridge/connectors/conntest"
	"github.com/contactbridge/contactbridge/mapping"
)

// connect returns a Connector to the address book at book on srv.
func connect(t testing.TB, srv *davtest.Server, book string) *carddav.Connector {
	t.Helper()
	c, err := carddav.New(context.Background(), carddav.Config{
		URL:         srv.URL,
		Username:    srv.Username,
		Password:    srv.Password,
		AddressBook: book,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// harness runs the suite on fresh address books of srv.
func harness(srv *davtest.Server) conntest.Harness {
	h := conntest.Harness{
		PageSize: carddav.PageSize,
		New: func(t *testing.T) conntest.Instance {
			book := srv.NewAddressBook(t)
			return conntest.Instance{
				Connector: connect(t, srv, book),
				Edit:      srv.Edit,
				Delete:    srv.Delete,
				Add: func(ctx context.Context, card *mapping.Card) (string, error) {
					return srv.Add(ctx, book, card)
				},
				ExpireTokens: srv.ExpireTokens(book),
			}
		},
	}
	if srv.Name == "radicale" {
		h.Project = func(caps connectors.Capabilities, card *mapping.Card) *mapping.Card {
			return radicaleKeeps(caps.Project(card))
		}
	}
	if srv.Name == "go-webdav" {
		// go-webdav's server stores what go-vcard decodes and serves what
		// it encodes: expect that, not the card sent.
		h.Project = func(caps connectors.Capabilities, card *mapping.Card) *mapping.Card {
			text, err := card.Marshal(caps.Version)
			if err != nil {
				return card
			}
			kept, err := davtest.GoWebDAVKeeps(text)
			if err != nil {
				return card
			}
			out, err := mapping.Parse(kept)
			if err != nil {
				return card
			}
			return out
		}
	}
	return h
}

// radicaleSkips lists the corpus files the Radicale run leaves out, and
// why: each is a fact about the server, not about the connector.
var radicaleSkips = map[string]string{
	// A collection holds one card per UID (RFC 6352 no-uid-conflict), and
	// the suite puts the whole corpus in one address book.
	"kcontacts-vcard1.vcf":            "repeats the UID of kcontacts-v4_0.vcard1-ref.vcf",
	"kcontacts-vcard12.vcf":           "repeats the UID of kcontacts-vcard12-2_1ref.vcf",
	"radicale-broken-vcards.vcf":      "repeats the UID of radicale-broken-vcard.vcf",
	"radicale-contact_multiple.vcf":   "repeats the UID of radicale-contact1_v4.vcf",
	"syncevolution-yahoo_contact.vcf": "repeats a UID of syncevolution-qt_contact.vcf",
	// vobject decodes ENCODING=b values.
	"ezvcard-John_Doe_ANDROID.vcf":     "its photo is not valid base64: Radicale refuses the card (400)",
	"ezvcard-John_Doe_BLACK_BERRY.vcf": "its photo's base64 is padded wrongly: Radicale writes it back re-encoded",
}

func TestConformanceRadicale(t *testing.T) {
	t.Parallel()
	h := harness(davtest.Radicale(t))
	h.Corpus = corpusWithout(t, radicaleSkips)
	conntest.Run(t, h)
}

// corpusWithout returns a folder holding the module's corpus but the files
// skip names, logging each left out with its reason.
func corpusWithout(t *testing.T, skip map[string]string) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "vcards")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, e := range entries {
		if reason, ok := skip[e.Name()]; ok {
			t.Logf("corpus: leaving out %s: %s", e.Name(), reason)
			continue
		}
		abs, err := filepath.Abs(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestConformanceXandikos(t *testing.T) {
	t.Parallel()
	conntest.Run(t, harness(davtest.Xandikos(t)))
}

func TestConformanceGoWebDAV(t *testing.T) {
	t.Parallel()
	conntest.Run(t, harness(davtest.GoWebDAV(t)))
}

// radicaleKeeps returns what Radicale 3.1 (vobject 0.9) keeps of card: it
// writes X- values back as text, escaping "," and ";" and doubling a
// backslash that starts no escape (`\:` becomes `\\:`); it drops the
// trailing empty components of ORG and the components of N past the
// fifth.
func radicaleKeeps(card *mapping.Card) *mapping.Card {
	out := card.Clone()
	for i := range out.Props {
		p := &out.Props[i]
		switch {
		case strings.HasPrefix(p.Name, "X-"):
			p.Value = escapeUnescaped(p.Value, ",;")
		case p.Name == "ORG":
			parts := p.Components()
			for len(parts) > 1 && parts[len(parts)-1] == "" {
				parts = parts[:len(parts)-1]
			}
			p.SetComponents(parts...)
		case p.Name == "N":
			if parts := p.Components(); len(parts) > 5 {
				p.SetComponents(parts[:5]...)
			}
		case p.Name == "ADR":
			p.Value = dropEmptyItems(p.Value)
		}
	}
	return out
}

// dropEmptyItems removes the empty items of the comma lists in the
// components of a structured value ("a,;b" → "a;b"), as vobject does.
func dropEmptyItems(v string) string {
	var comps []string
	for _, comp := range splitUnescaped(v, ';') {
		var items []string
		for _, it := range splitUnescaped(comp, ',') {
			if it != "" {
				items = append(items, it)
			}
		}
		comps = append(comps, strings.Join(items, ","))
	}
	return strings.Join(comps, ";")
}

// splitUnescaped splits v at each sep without a backslash before it.
func splitUnescaped(v string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case sep:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// escapeUnescaped puts a backslash before each of chars in v that has
// none.
func escapeUnescaped(v, chars string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && i+1 < len(v) && strings.IndexByte(`\\,;nN`, v[i+1]) >= 0:
			b.WriteByte(c)
			b.WriteByte(v[i+1])
			i++
		case c == '\\':
			b.WriteString(`\\`)
		case strings.IndexByte(chars, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
