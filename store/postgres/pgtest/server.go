package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is returned by StartServer when it finds no PostgreSQL.
var ErrNotInstalled = errors.New("PostgreSQL is not installed")

// A Server is a PostgreSQL server started for tests. Its superuser is
// "postgres", trusted without a password on the loopback address and the
// socket.
type Server struct {
	dir     string // holds data/, the socket and the log; removed by Stop
	port    int
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string

	stopOnce sync.Once
	stopErr  error
}

// serverSettings are the server's settings: made for speed, not for
// durability.
func serverSettings() []string {
	return []string{
		"fsync=off",
		"synchronous_commit=off",
		"full_page_writes=off",
		"max_connections=200",
		"log_min_messages=warning",
		"log_lock_waits=on",
		"log_checkpoints=off",
	}
}

// logTail is how much of a server's log a failure shows.
const logTail = 8000

// StartServer creates a cluster in a new temporary directory and starts a
// server on it. It returns once the server accepts connections.
func StartServer(ctx context.Context) (*Server, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverAccount()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{dir: dir, logPath: filepath.Join(dir, "postgres.log")}
	if err := s.setUp(ctx, bin, cred); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) setUp(ctx context.Context, bin binaries, cred *credential) error {
	if err := chown(s.dir, cred); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	data := filepath.Join(s.dir, "data")
	initdb := exec.CommandContext(ctx, bin.initdb, "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = s.dir
	initdb.Env = serverEnv()
	initdb.SysProcAttr = sysProcAttr(cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: %s: %v\n%s", bin.initdb, err, out)
	}
	// A free port may be taken before the server binds it; then try another.
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		if err = s.start(ctx, bin.postgres, data, port, cred); !errors.Is(err, errPortTaken) {
			return err
		}
	}
	return err
}

// errPortTaken says the server could not bind its port.
var errPortTaken = errors.New("port taken")

// start starts postgres on port and waits until it accepts connections.
func (s *Server) start(ctx context.Context, bin, data string, port int, cred *credential) error {
	logf, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close() // the server has its own descriptor
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-h", "127.0.0.1", "-k", s.dir}
	for _, kv := range serverSettings() {
		args = append(args, "-c", kv)
	}
	// Not CommandContext: the server outlives ctx, which bounds the start.
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(cred)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start %s: %w", bin, err)
	}
	s.cmd, s.port, s.exited = cmd, port, make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.exited)

	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(cctx, s.DSN())
		cancel()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-s.exited:
			log := tail(s.logPath, logTail)
			if strings.Contains(log, "could not bind") || strings.Contains(log, "already in use") {
				return errPortTaken
			}
			return fmt.Errorf("pgtest: %s exited at start (%v):\n%s", bin, cmd.ProcessState, log)
		case <-ctx.Done():
			return fmt.Errorf("pgtest: %s did not accept connections: %w (last: %v)\n%s", bin, ctx.Err(), err, tail(s.logPath, logTail))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DSN returns the URL of the server's "postgres" database as its superuser.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// LogPath returns the path of the server's log file.
func (s *Server) LogPath() string { return s.logPath }

// Stop stops the server (a fast shutdown, then SIGKILL after 10 s) and
// removes its directory. A second Stop returns the first one's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd != nil {
			select {
			case <-s.exited:
			case <-s.interrupt():
			case <-time.After(10 * time.Second):
			}
			s.cmd.Process.Kill() // an error: it has exited
			<-s.exited
		}
		if err := os.RemoveAll(s.dir); err != nil {
			s.stopErr = fmt.Errorf("pgtest: stop: %w", err)
		}
	})
	return s.stopErr
}

// interrupt asks the server for a fast shutdown and returns a channel
// closed when it has exited (never closed if the signal failed).
func (s *Server) interrupt() <-chan struct{} {
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		return nil
	}
	return s.exited
}

// serverEnv is the environment of initdb and the server: nothing of the
// test's own (PGDATA, PGPORT and the like) may reach them.
func serverEnv() []string {
	return []string{"PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C", "TZ=UTC"}
}

// freePort returns a loopback port nothing listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n bytes of the file at path.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	off := max(fi.Size()-n, 0)
	b := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	if off > 0 {
		return "…" + string(b)
	}
	return string(b)
}
