package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"testing"

	"github.com/contactbridge/contactbridge/connectors/google/googletest"
	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
)

// The corpus goes from a folder through the hub to an Outlook mailbox, a
// Google account, Radicale and Xandikos; then every contact is edited in
// Outlook, and the edit reaches every other account with nothing else of
// the contact lost — what Outlook has no slot for stays in the hub.
func TestOutlookCorpusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole corpus on real servers: not in -short")
	}
	w := newDavWorld(t)
	gsrv := googletest.New(googletest.Options{})
	t.Cleanup(gsrv.Close)
	gsrv.AddUser("g-refresh")
	addGmail(w.world, gsrv, "c", "g-refresh")
	osrv := graphtest.New(graphtest.Options{})
	t.Cleanup(osrv.Close)
	mailbox := osrv.AddUser("o-refresh")
	addOutlook(w.world, osrv, true)
	w.writeToken("o-refresh")
	n := w.writeCorpus("files")

	_, refused := w.syncRefused()
	if got := len(mailbox.Contacts()); got != n {
		t.Errorf("Outlook holds %d contacts, want %d", got, n)
	}
	w.assertSame("after the first sync", refused)
	before := filesByName(t, w.world)
	w.syncRefused() // Outlook lists its own creates back: nothing to do

	for _, c := range mailbox.Contacts() {
		mailbox.Edit(c.ID, func(c *graphtest.Contact) { c.PersonalNotes = "edited in Outlook" })
	}
	w.syncRefused()
	w.syncRefused()
	w.assertSame("after the edits in Outlook", refused)
	if len(mailbox.Contacts()) != n {
		t.Errorf("Outlook holds %d contacts after the edits, want %d", len(mailbox.Contacts()), n)
	}
	assertOnlyNoteEdited(t, "in Outlook", before, filesByName(t, w.world), "edited in Outlook", n)
}

// A delta round that loses its state in the middle of a sync (410
// SyncStateNotFound on a nextLink) is started again and the sync ends
// with every contact once; later losses of the stored deltaLink list
// everything again without duplicating or deleting anything.
func TestOutlookDeltaLostMidSync(t *testing.T) {
	const contacts = 450
	var mu sync.Mutex
	deltas, loseAt := 0, 0
	var srv *graphtest.Server
	srv = graphtest.New(graphtest.Options{DeltaPageSize: 100, OnRequest: func(endpoint string) {
		if endpoint != "contacts.delta" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		deltas++
		if deltas == loseAt {
			go srv.ExpireDeltaTokens() // not under the fake's lock
		}
	}})
	t.Cleanup(srv.Close)
	mailbox := srv.AddUser("refresh")
	w := newWorld(t, "files")
	addOutlook(w, srv, true)
	w.writeToken("refresh")
	for i := range contacts {
		mailbox.Put(graphtest.Contact{GivenName: "Delta", Surname: fmt.Sprintf("Person %04d", i),
			EmailAddresses: []graphtest.EmailAddress{{Address: fmt.Sprintf("d%04d@example.org", i)}}})
	}
	w.mustCLI("sync", "--init")
	if got := len(w.cards("files")); got != contacts {
		t.Fatalf("the folder holds %d contacts, want %d", got, contacts)
	}
	// Lose the state at the third page of the next round, which follows
	// the stored deltaLink after a change.
	w.write("files", "new.vcf", vcard("Added In Folder", "EMAIL:added@example.org"))
	mu.Lock()
	deltas, loseAt = 0, 1
	mu.Unlock()
	srv.ExpireDeltaTokens()
	w.mustCLI("sync")
	w.mustCLI("sync")
	if got := len(mailbox.Contacts()); got != contacts+1 {
		t.Errorf("Outlook holds %d contacts, want %d", got, contacts+1)
	}
	if got := len(w.cards("files")); got != contacts+1 {
		t.Errorf("the folder holds %d contacts, want %d", got, contacts+1)
	}
	settled(t, w)
}

// A sync killed while Graph carries out its $batch of creates, three times
// over: each time some contacts are made and their ids never recorded. The
// record key in the contacts' extended property lets the next run find
// them (connectors.KeyFinder), so Outlook ends with each contact once.
func TestOutlookSyncKilledBetweenBatchAndCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	const contacts = 300
	var (
		mu     sync.Mutex
		victim int
		killAt int
		seen   int
	)
	srv := graphtest.New(graphtest.Options{OnRequest: func(endpoint string) {
		if endpoint != "contacts.create" {
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
	mailbox := srv.AddUser("crash-refresh")
	bin := buildBinary(t)
	w := newWorld(t, "files")
	addOutlook(w, srv, true)
	w.writeToken("crash-refresh")
	for i := range contacts {
		w.write("files", fmt.Sprintf("p%04d.vcf", i), vcard(fmt.Sprintf("Crash Person %04d", i)))
	}
	killed := 0
	for i, at := range []int{50, 30, 10} {
		cmd := exec.Command(bin, "sync", "--config", w.cfg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		victim, killAt, seen = cmd.Process.Pid, at, 0
		mu.Unlock()
		err := cmd.Wait()
		mu.Lock()
		victim = 0
		mu.Unlock()
		srv.Quiesce()
		var ee *exec.ExitError
		switch {
		case err == nil:
			t.Logf("run %d: no create %d to kill in; Outlook holds %d", i, at, len(mailbox.Contacts()))
		case errors.As(err, &ee) && !ee.Exited():
			killed++
			t.Logf("run %d: killed at create %d; Outlook holds %d", i, at, len(mailbox.Contacts()))
		default:
			t.Fatalf("run %d: %v\n%s", i, err, out.String())
		}
	}
	if killed < 2 {
		t.Errorf("only %d runs were killed in a batch of creates", killed)
	}
	for range 2 {
		if out, err := exec.Command(bin, "sync", "--config", w.cfg).CombinedOutput(); err != nil {
			t.Fatalf("sync to the end: %v\n%s", err, out)
		}
	}
	names := map[string]int{}
	for _, c := range mailbox.Contacts() {
		names[c.DisplayName]++
	}
	twice := 0
	for _, c := range names {
		if c > 1 {
			twice++
		}
	}
	if len(mailbox.Contacts()) != contacts || twice > 0 {
		t.Errorf("Outlook holds %d contacts (%d names twice), want %d", len(mailbox.Contacts()), twice, contacts)
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
