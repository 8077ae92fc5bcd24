package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
	addGmail(w, srv, "client-1", "")

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

// The whole corpus from a folder to a Google account and back: nothing
// lost or duplicated, and the accounts settle — also after every contact
// was edited on Google's side, which hands the bridge Google's version of
// each (with what Google does not keep left out).
func TestGoogleCorpusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole corpus: not in -short")
	}
	srv := googletest.New(googletest.Options{})
	t.Cleanup(srv.Close)
	user := srv.AddUser("corpus-refresh")
	w := newWorld(t, "files")
	addGmail(w, srv, "c", "corpus-refresh")
	n := w.writeCorpus("files")
	syncQuiet := func(when string) {
		t.Helper()
		out, errOut, code := w.cli("sync", "--json")
		if code != exitOK {
			t.Fatalf("%s: sync exit %d\n%s\n%s", when, code, out, errOut)
		}
	}
	out, errOut, code := w.cli("sync", "--json")
	var reps []syncResult
	if err := json.Unmarshal([]byte(out), &reps); err != nil || code != exitOK {
		t.Fatalf("first sync: exit %d, %v\n%s", code, err, errOut)
	}
	if got := len(user.People()); got != n {
		t.Errorf("Google holds %d contacts, want %d", got, n)
	}
	// Google lists what it made of each create, with the parameters it
	// does not keep left out: that is not an edit of the contact.
	for _, r := range reps {
		if r.Account == "gmail" && r.ToHub.Total() != 0 || r.Pass > 1 && r.ToRemote.Total() != 0 {
			t.Errorf("first sync, %s pass %d: to hub %+v, to account %+v; want Google's version of its creates taken as no change",
				r.Account, r.Pass, r.ToHub, r.ToRemote)
		}
	}
	settled(t, w)
	// Every contact edited on Google.
	for _, p := range user.People() {
		p.Biographies = []googletest.Biography{{Value: "edited on Google"}}
		user.Put(p)
	}
	syncQuiet("after the edits on Google")
	syncQuiet("settling")
	settled(t, w)
	entries, _ := os.ReadDir(w.folders["files"])
	edited := 0
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(w.folders["files"], e.Name()))
		if strings.Contains(string(b), "edited on Google") {
			edited++
		}
	}
	if len(entries) != n || edited != n || len(user.People()) != n {
		t.Errorf("after the edits: %d files (%d edited), %d on Google; want %d", len(entries), edited, len(user.People()), n)
	}
}

// The real binary syncs a folder of 600 contacts to an empty Google
// account and is killed with SIGKILL while Google handles one of its batch
// creates — the write happens, its answer is lost — at each batch in turn;
// a run to the end then leaves Google with exactly the 600 contacts (the
// record key in clientData lets the next run recognise the creates whose
// answers were lost), the folder with its 600, and a further run writes
// nothing.
func TestGoogleSyncKilledAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	const contacts = 600
	var (
		mu     sync.Mutex
		victim int // pid of the run to kill; 0: none
		killAt int // kill at this batch create of the run (1-based)
		seen   int
	)
	srv := googletest.New(googletest.Options{OnRequest: func(endpoint string) {
		if endpoint != "batchCreateContacts" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		if victim != 0 && seen == killAt {
			syscall.Kill(victim, syscall.SIGKILL)
		}
	}})
	t.Cleanup(srv.Close)
	user := srv.AddUser("crash-refresh")
	bin := buildBinary(t)
	w := newWorld(t, "files")
	addGmail(w, srv, "c", "crash-refresh")
	for i := range contacts {
		w.write("files", fmt.Sprintf("p%04d.vcf", i), vcard(fmt.Sprintf("Crash Person %04d", i), fmt.Sprintf("EMAIL:p%04d@example.org", i)))
	}
	// Killed at the 2nd batch of the first run, the 1st of the second, the
	// 1st of the third: each time some creates are done and unrecorded.
	killed := 0
	for i, at := range []int{2, 1, 1} {
		cmd := exec.Command(bin, "sync", "--config", w.cfg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The run reads its config and syncs the folder before its first
		// Google write: far later than this.
		mu.Lock()
		victim, killAt, seen = cmd.Process.Pid, at, 0
		mu.Unlock()
		err := cmd.Wait()
		mu.Lock()
		victim = 0
		mu.Unlock()
		srv.Quiesce() // the batch the run died in is applied
		var ee *exec.ExitError
		switch {
		case err == nil:
			// Whether a killed batch is applied depends on how far Google
			// got with it: when all were, there is nothing left to create.
			t.Logf("run %d: no batch create %d to kill in; Google holds %d", i, at, len(user.People()))
		case errors.As(err, &ee) && !ee.Exited():
			killed++
			t.Logf("run %d: killed in batch create %d; Google holds %d", i, at, len(user.People()))
		default:
			t.Fatalf("run %d: %v\n%s", i, err, out.String())
		}
	}
	if killed < 2 {
		t.Errorf("only %d runs were killed in a batch create", killed)
	}
	for range 2 {
		if out, err := exec.Command(bin, "sync", "--config", w.cfg).CombinedOutput(); err != nil {
			t.Fatalf("sync to the end: %v\n%s", err, out)
		}
	}
	names := map[string]int{}
	for _, p := range user.People() {
		for _, n := range p.Names {
			names[n.GivenName+" "+n.FamilyName+n.UnstructuredName]++
		}
	}
	twice := 0
	for _, c := range names {
		if c > 1 {
			twice++
		}
	}
	if len(user.People()) != contacts || twice > 0 {
		t.Errorf("Google holds %d contacts (%d names twice), want %d", len(user.People()), twice, contacts)
	}
	if got := len(w.cards("files")); got != contacts {
		t.Errorf("the folder holds %d contacts", got)
	}
	out, err := exec.Command(bin, "sync", "--json", "--config", w.cfg).Output()
	if err != nil {
		t.Fatal(err)
	}
	var reps []syncResult
	if err := json.Unmarshal(out, &reps); err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.ToHub.Total()+r.ToRemote.Total() != 0 {
			t.Errorf("%s does not settle: %+v %+v", r.Account, r.ToHub, r.ToRemote)
		}
	}
}

// addGmail adds account gmail, on the fake srv, to w's config: with a
// refresh_token_file holding refresh when it is not empty, else signed in
// by `accounts connect`.
func addGmail(w *world, srv *googletest.Server, clientID, refresh string) {
	w.t.Helper()
	entry := fmt.Sprintf("  - name: gmail\n    type: google\n    client_id: %s\n    api_endpoint: %s\n    token_url: %s\n    listing_delay: 0s\n", clientID, srv.URL(), srv.TokenURL())
	if refresh != "" {
		if err := os.WriteFile(filepath.Join(w.dir, "gmail.token"), []byte(refresh+"\n"), 0o600); err != nil {
			w.t.Fatal(err)
		}
		entry += "    refresh_token_file: gmail.token\n"
	}
	f, err := os.OpenFile(w.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(entry); err != nil {
		w.t.Fatal(err)
	}
}

func TestGoogleAccountChecks(t *testing.T) {
	ok := oauthSettings{ClientID: "c"}
	for _, tc := range []struct {
		a    AccountConfig
		want string
	}{
		{AccountConfig{}, "needs client_id"},
		{AccountConfig{oauthSettings: oauthSettings{ClientID: "c", APIEndpoint: "ftp://x/"}}, "api_endpoint"},
		{AccountConfig{oauthSettings: ok, googleSettings: googleSettings{ListingDelay: "soon"}}, "listing_delay"},
		{AccountConfig{oauthSettings: ok, googleSettings: googleSettings{ListingDelay: "-1m"}}, "listing_delay"},
	} {
		err := checkGoogle(tc.a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.a, err, tc.want)
		}
	}
	for in, want := range map[string]time.Duration{"": 0, "0s": -1, "2m": 2 * time.Minute} {
		s := googleSettings{ListingDelay: in}
		if got, err := s.listingDelay(); err != nil || got != want {
			t.Errorf("listing_delay %q = %v, %v; want %v", in, got, err, want)
		}
	}
}

// settled runs a sync that must write nothing anywhere.
func settled(t *testing.T, w *world) {
	t.Helper()
	out, errOut, code := w.cli("sync", "--json")
	var reps []syncResult
	if err := json.Unmarshal([]byte(out), &reps); err != nil || code != exitOK {
		t.Fatalf("sync: exit %d, %v\n%s", code, err, errOut)
	}
	for _, r := range reps {
		if r.ToHub.Total()+r.ToRemote.Total() != 0 {
			t.Errorf("%s does not settle: to hub %+v, to account %+v", r.Account, r.ToHub, r.ToRemote)
		}
	}
}
