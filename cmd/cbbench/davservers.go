package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/contactbridge/contactbridge/connectors/carddav/davtest"
)

// A davServer is a CardDAV server process this harness started on
// loopback, with one address book to sync.
type davServer struct {
	Name     string // "radicale" or "xandikos"
	URL      string // base URL, http://127.0.0.1:PORT
	Book     string // the address book's path, ending in /
	Username string
	Password string
	cmd      *exec.Cmd
	log      *os.File
}

// The benchmark's credentials (Radicale with htpasswd; Xandikos has no
// authentication and ignores them).
const (
	benchUser     = "alice"
	benchPassword = "bench-secret"
)

// startRadicale starts Radicale on a free loopback port with its data in
// dir, after preload has written the address book's files into bookDir
// (the storage folder of /alice/bench/), so that loading N contacts costs
// no server time.
func startRadicale(ctx context.Context, bin, dir string, preload func(bookDir string) error) (*davServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	book := filepath.Join(dir, "collections", "collection-root", benchUser, "bench")
	if err := os.MkdirAll(book, 0o700); err != nil {
		return nil, err
	}
	props := `{"D:displayname": "bench", "tag": "VADDRESSBOOK"}`
	if err := os.WriteFile(filepath.Join(book, ".Radicale.props"), []byte(props), 0o600); err != nil {
		return nil, err
	}
	if preload != nil {
		if err := preload(book); err != nil {
			return nil, fmt.Errorf("radicale: load contacts: %w", err)
		}
	}
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte(benchUser+":"+benchPassword+"\n"), 0o600); err != nil {
		return nil, err
	}
	config := davtest.RadicaleConfig(port, users, filepath.Join(dir, "collections"))
	cfgPath := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	s := &davServer{Name: "radicale", URL: fmt.Sprintf("http://127.0.0.1:%d", port), Book: "/" + benchUser + "/bench/",
		Username: benchUser, Password: benchPassword}
	// --config replaces the system's config (Debian's sets remote_user
	// authentication), as the CardDAV reference explains.
	return s, s.start(ctx, dir, bin, "--config", cfgPath)
}

// startXandikos starts Xandikos on a free loopback port with its data in
// dir; --defaults makes /user/contacts/addressbook/, empty.
func startXandikos(ctx context.Context, bin, dir string) (*davServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &davServer{Name: "xandikos", URL: fmt.Sprintf("http://127.0.0.1:%d", port), Book: "/user/contacts/addressbook/",
		Username: benchUser, Password: benchPassword}
	return s, s.start(ctx, dir, bin, "-d", filepath.Join(dir, "data"), "-l", "127.0.0.1", "-p", strconv.Itoa(port), "--defaults")
}

// start runs the server and waits until it answers HTTP.
func (s *davServer) start(ctx context.Context, dir, bin string, args ...string) error {
	log, err := os.Create(filepath.Join(dir, s.Name+".log"))
	if err != nil {
		return err
	}
	s.log = log
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		if err := ctx.Err(); err != nil {
			s.Close()
			return err
		}
		resp, err := client.Get(s.URL + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			s.Close()
			out, _ := os.ReadFile(log.Name())
			return fmt.Errorf("%s did not answer on %s within 30 s: %s", s.Name, s.URL, strings.TrimSpace(string(out)))
		}
		time.Sleep(20 * time.Millisecond) // polling a child process for readiness
	}
}

// CPU returns the user plus system time the server process has used.
func (s *davServer) CPU() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th of them, in clock ticks of 1/100 s.
	rest := string(b)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// Close stops the server: SIGINT, then SIGKILL after five seconds.
func (s *davServer) Close() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.log.Close()
	s.cmd = nil
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
