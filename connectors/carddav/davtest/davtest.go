// Package davtest starts CardDAV servers for tests: real Radicale and
// Xandikos processes on loopback, go-webdav's own server in-process, and a
// proxy that injects faults between a client and any of them.
//
// A missing server binary skips the test with a loud message, except when
// the environment has CI=true: CI must never pass without the real servers.
//
// Besides starting servers, a Server acts on them as another client would
// (Edit, Delete, Add, ExpireTokens), with plain HTTP requests that do not go
// through the connector under test.
package davtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/mapping"
)

// A Server is a CardDAV server for one test (or one group of tests).
type Server struct {
	// Name says which server it is: "radicale", "xandikos", "go-webdav".
	Name string
	// URL is the server's root, where discovery starts ("http://127.0.0.1:PORT/").
	URL string
	// Username and Password are the account's credentials. Servers without
	// authentication (Xandikos) ignore them.
	Username string
	Password string
	// Home is the address book home set path, where NewAddressBook makes
	// address books.
	Home string

	client *http.Client
	books  atomic.Int64
	added  atomic.Int64

	// expire makes the change tokens of the address book at a path
	// unusable, or is nil when the server gives no honest way to.
	expire func(ctx context.Context, s *Server, book string) error
}

// NewAddressBook makes a fresh, empty address book with an extended MKCOL
// and returns its path (ending in "/"). Its display name is the same as its
// last path segment.
func (s *Server) NewAddressBook(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("book-%d-%s", s.books.Add(1), randomHex(3))
	p := s.Home + name + "/"
	body := `<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype><D:displayname>` + name + `</D:displayname>
</D:prop></D:set></D:mkcol>`
	res, err := s.Do(context.Background(), "MKCOL", p, map[string]string{"Content-Type": "application/xml; charset=utf-8"}, []byte(body))
	if err != nil {
		t.Fatalf("davtest: MKCOL %s on %s: %v", p, s.Name, err)
	}
	if res.Status/100 != 2 {
		t.Fatalf("davtest: MKCOL %s on %s: %d %s", p, s.Name, res.Status, res.Body)
	}
	return p
}

// A Response is an answer to Do, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends an authenticated request to the server: method on path (or a
// full URL), with the headers and body given.
func (s *Server) Do(ctx context.Context, method, path string, header map[string]string, body []byte) (*Response, error) {
	u := path
	if !strings.Contains(path, "://") {
		u = strings.TrimSuffix(s.URL, "/") + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if s.Username != "" {
		req.SetBasicAuth(s.Username, s.Password)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Edit changes the card at href as another client would: GET, parse,
// edit, PUT back in its own version with If-Match.
func (s *Server) Edit(ctx context.Context, href string, edit func(*mapping.Card)) error {
	res, err := s.Do(ctx, http.MethodGet, href, nil, nil)
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK {
		return fmt.Errorf("davtest: GET %s: %d", href, res.Status)
	}
	card, err := mapping.Parse(res.Body)
	if err != nil {
		return fmt.Errorf("davtest: GET %s: %w", href, err)
	}
	edit(card)
	v := card.Version
	if v != mapping.Version40 {
		v = mapping.Version30
	}
	out, err := card.Marshal(v)
	if err != nil {
		return err
	}
	h := map[string]string{"Content-Type": "text/vcard; charset=utf-8"}
	if etag := res.Header.Get("ETag"); etag != "" {
		h["If-Match"] = etag
	}
	put, err := s.Do(ctx, http.MethodPut, href, h, out)
	if err != nil {
		return err
	}
	if put.Status/100 != 2 {
		return fmt.Errorf("davtest: PUT %s: %d", href, put.Status)
	}
	return nil
}

// Delete removes the card at href as another client would.
func (s *Server) Delete(ctx context.Context, href string) error {
	res, err := s.Do(ctx, http.MethodDelete, href, nil, nil)
	if err != nil {
		return err
	}
	if res.Status/100 != 2 {
		return fmt.Errorf("davtest: DELETE %s: %d", href, res.Status)
	}
	return nil
}

// Add stores card as vCard 3.0 in the address book at book under a name of
// its own, as another client would, and returns its href.
func (s *Server) Add(ctx context.Context, book string, card *mapping.Card) (string, error) {
	href := fmt.Sprintf("%sadded-%d-%s.vcf", book, s.added.Add(1), randomHex(4))
	out, err := card.Marshal(mapping.Version30)
	if err != nil {
		return "", err
	}
	res, err := s.Do(ctx, http.MethodPut, href, map[string]string{"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"}, out)
	if err != nil {
		return "", err
	}
	if res.Status/100 != 2 {
		return "", fmt.Errorf("davtest: PUT %s: %d", href, res.Status)
	}
	return href, nil
}

// ExpireTokens returns a function that makes every change token issued so
// far for the address book at book unusable, as a server does when it
// trims its change log; nil when the server gives no honest way to (see
// each server's doc).
func (s *Server) ExpireTokens(book string) func(context.Context) error {
	if s.expire == nil {
		return nil
	}
	return func(ctx context.Context) error { return s.expire(ctx, s, book) }
}

// requireBinary skips t when bin is missing, or fails it when CI=true.
func requireBinary(t testing.TB, bin string) {
	t.Helper()
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("davtest: %s is not installed (%v): THE TESTS AGAINST THIS REAL SERVER DO NOT RUN", bin, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a missing server is a failure)")
		}
		t.Skip("**** " + msg + " ****")
	}
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("davtest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startTimeout bounds how long a server may take to answer its first
// request; a loaded machine takes seconds.
const startTimeout = 20 * time.Second

// process is a server process started for a test.
type process struct {
	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan struct{}
}

// start runs bin with args, then waits until probe URL answers any HTTP
// status. The process is stopped at cleanup: SIGINT, then SIGKILL after 5 s.
func start(t testing.TB, name, bin string, args []string, dir, probe string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	// A clean environment: no PYTHONPATH or pyenv shims of the developer's
	// shell may shadow the packaged server's modules.
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("davtest: start %s: %v", name, err)
	}
	p := &process{cmd: cmd, output: out, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("davtest: %s output:\n%s", name, out.tail(4000))
		}
	})
	deadline := time.Now().Add(startTimeout)
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(probe)
		if err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("davtest: %s exited before answering: %v\n%s", name, cmd.ProcessState, out.tail(4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("davtest: %s did not answer %s within %v: %v\n%s", name, probe, startTimeout, err, out.tail(4000))
		}
	}
}

// stop ends the process: SIGINT, then SIGKILL after 5 s. (The servers run
// as one process each; they start no children.)
func (p *process) stop() {
	if err := p.cmd.Process.Signal(os.Interrupt); err == nil {
		select {
		case <-p.exited:
			return
		case <-time.After(5 * time.Second):
		}
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough to see what went wrong
	}
	return b.buf.Write(p)
}

// tail returns the last n bytes written.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newHTTPClient returns the client the hooks use.
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: time.Minute}
}

// baseURL returns the root URL of a server on the loopback port.
func baseURL(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/"
}
