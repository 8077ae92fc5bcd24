package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors/google/googletest"
)

// A google account end to end through the CLI: `accounts connect` signs
// in through the fake's OAuth (loopback redirect, PKCE), the refresh token
// is kept encrypted in the state, and sync carries contacts both ways
// between the fake Google account and a folder.
func TestGoogleEndToEnd(t *testing.T) {
	srv := googletest.New(googletest.Options{ClientID: "client-1"})
	t.Cleanup(srv.Close)
	const refresh = "1//refresh-of-alice"
	user := srv.AddUser(refresh)
	w := newWorld(t, "files")
	cfg := fmt.Sprintf("  - name: gmail\n    type: google\n    client_id: client-1\n    api_endpoint: %s\n    token_url: %s\n", srv.URL(), srv.TokenURL())
	f, err := os.OpenFile(w.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(cfg)
	f.Close()

	// Not signed in yet: sync says what to do.
	if _, errOut, code := w.cli("sync", "--account", "gmail"); code != exitCannot || !strings.Contains(errOut, "accounts connect gmail") {
		t.Fatalf("sync before connect: exit %d\n%s", code, errOut)
	}

	// The user consents in a "browser": the fake's authorization server
	// hands a code for this challenge back to the loopback redirect.
	browser := func(consent string) error {
		u, err := url.Parse(consent)
		if err != nil {
			return err
		}
		q := u.Query()
		code := srv.AuthorizationCode(refresh, q.Get("code_challenge"))
		go func() {
			res, err := http.Get(q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode())
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
		return nil
	}
	var out strings.Builder
	if err := runConnect(context.Background(), &out, &options{configPath: w.cfg}, "gmail", browser); err != nil {
		t.Fatalf("connect: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), refresh) {
		t.Error("connect printed the refresh token")
	}
	for _, name := range []string{"store.db", "store.db-wal", "config.yaml"} {
		if b, err := os.ReadFile(w.dir + "/" + name); err == nil && strings.Contains(string(b), refresh) {
			t.Errorf("%s holds the refresh token in plaintext", name)
		}
	}

	// A contact on each side; both sides end with both.
	w.write("files", "ada.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\nEMAIL;TYPE=work:ada@example.org\r\nCATEGORIES:Friends,Climbing\r\nEND:VCARD\r\n")
	user.Put(googletest.Person{Names: []googletest.Name{{GivenName: "Grace", FamilyName: "Hopper"}},
		EmailAddresses: []googletest.EmailAddress{{Value: "grace@example.org", Type: "home"}}})
	w.mustCLI("sync")
	if got := w.cards("files"); got["Grace Hopper"] == nil || len(got) != 2 {
		t.Errorf("the folder after sync: %v", keysOf(got))
	}
	var names []string
	for _, p := range user.People() {
		for _, n := range p.Names {
			names = append(names, n.GivenName+" "+n.FamilyName)
		}
	}
	if len(names) != 2 || !strings.Contains(strings.Join(names, ","), "Ada Lovelace") {
		t.Errorf("Google after sync: %v", names)
	}
	var label bool
	for _, g := range user.Groups() {
		label = label || g.Name == "Climbing"
	}
	if !label {
		t.Error("CATEGORIES:Climbing made no Google label")
	}
	// "Friends" is the name of a deprecated system group: no label can
	// carry it, yet it survives the round trip (below).
	// An edit on Google's side: Ada comes back from Google whole, her
	// categories included.
	for _, p := range user.People() {
		if len(p.Names) > 0 && p.Names[0].GivenName == "Ada" {
			p.Biographies = []googletest.Biography{{Value: "edited on Google"}}
			user.Put(p)
		}
	}
	w.mustCLI("sync")
	ada := w.cards("files")["Ada Lovelace"]
	if ada == nil || ada.Value("NOTE") != "edited on Google" || !strings.Contains(ada.Value("CATEGORIES"), "Friends") ||
		!strings.Contains(ada.Value("CATEGORIES"), "Climbing") {
		t.Errorf("Ada after an edit on Google: NOTE %q, CATEGORIES %q", ada.Value("NOTE"), ada.Value("CATEGORIES"))
	}

	// Converged: a second sync writes nothing.
	out2 := w.mustCLI("sync", "--json")
	if strings.Contains(out2, `"created": 1`) || strings.Contains(out2, `"updated": 1`) {
		t.Errorf("second sync wrote:\n%s", out2)
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
