package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/contactbridge/contactbridge/store/postgres/pgtest"
)

// The backends `cbbench storage` can serve.
const (
	backendSQLite   = "sqlite"
	backendPostgres = "postgres"
)

// storageCollection is the collection the benchmark's users write and read.
const storageCollection = "contacts"

// A storageBench measures `contactbridge storage serve`, the store served
// as a Sync Storage 1.5 server, on loopback: users POST their records in
// batches and GET them back in pages, several clients at once, against
// each backend in turn. contactbridge runs as a child process, as a user
// would run it; the clients run in this process.
type storageBench struct {
	Backends []string // backendSQLite, backendPostgres, in the order to run them
	Users    int
	Records  int // per user
	Batch    int // records per POST
	Page     int // records per GET page (limit=)
	// Clients are the numbers of concurrent clients: one load and one
	// read phase each, in this order.
	Clients []int
	// ReadRounds is how many times a read phase reads every user, in a
	// random order.
	ReadRounds   int
	PayloadBytes int
	Seed         uint64
	// Postgres is the DSN of the database the postgres backend uses; ""
	// starts a throwaway server (pgtest). The benchmark's users' records
	// in it are deleted.
	Postgres string
	// Contactbridge is the contactbridge binary; "" builds it from this
	// module.
	Contactbridge string
	WorkDir       string
	Keep          bool
	Progress      io.Writer
}

// A storageResult is what one `cbbench storage` measured.
type storageResult struct {
	Machine      Machine
	Users        int
	Records      int
	Batch        int
	Page         int
	ReadRounds   int
	PayloadBytes int // the payload size of the records, as generated
	Seed         uint64
	Backends     []storageBackend
	Checks       checks
}

// A storageBackend is what was measured against one backend.
type storageBackend struct {
	Name   string
	Store  string // what served as the backend
	Idle   serverMemory
	Phases []storagePhase
}

// A storagePhase is one measured phase: its requests, its wall time and
// latencies, the CPU of the server and of the clients, and the server's
// memory when it ended.
type storagePhase struct {
	Name      string
	Clients   int
	Requests  int
	Records   int
	Bytes     int64
	Wall      time.Duration
	Latency   Latency
	ServerCPU time.Duration
	ClientCPU time.Duration
	Memory    serverMemory
}

// serverMemory is a process's resident set (VmRSS), split into anonymous
// memory (RssAnon: the heap) and file pages (RssFile: for SQLite, the
// database file it maps for reads, counted once per mapping, so once per
// read connection), and its peak since the process started (VmHWM), in
// bytes; 0 where /proc does not tell.
type serverMemory struct {
	RSS, Anon, File, HWM int64
}

func (sb *storageBench) progress(format string, args ...any) {
	if sb.Progress != nil {
		fmt.Fprintf(sb.Progress, format+"\n", args...)
	}
}

// storageUser is the name of the benchmark's user i: u000, u001, …
func storageUser(i int) string { return fmt.Sprintf("u%03d", i) }

// storagePassword is user's password (12 characters at least, as
// `storage user add` wants).
func storagePassword(user string) string { return "cbbench-" + user + "-secret" }

// Run builds contactbridge, adds the users and measures each backend.
func (sb *storageBench) Run(ctx context.Context) (*storageResult, error) {
	res := &storageResult{Machine: describeMachine(ctx, ""), Users: sb.Users, Records: sb.Records, Batch: sb.Batch,
		Page: sb.Page, ReadRounds: sb.ReadRounds, Seed: sb.Seed}
	if recs := storageRecords(sb.Seed, 0, 1, sb.PayloadBytes); len(recs) == 1 {
		res.PayloadBytes = len(recs[0].Payload)
	}
	root, err := os.MkdirTemp(sb.WorkDir, "cbbench-storage-")
	if err != nil {
		return res, fmt.Errorf("storage: %w", err)
	}
	if !sb.Keep {
		defer os.RemoveAll(root)
	}
	bin := sb.Contactbridge
	if bin == "" {
		sb.progress("building contactbridge")
		if bin, err = buildContactbridge(ctx, root); err != nil {
			return res, err
		}
	}
	usersFile, err := sb.addUsers(ctx, bin, root)
	if err != nil {
		return res, err
	}
	for _, backend := range sb.Backends {
		if err := sb.runBackend(ctx, res, bin, root, usersFile, backend); err != nil {
			return res, fmt.Errorf("storage %s: %w", backend, err)
		}
	}
	return res, nil
}

// writeStorageConfig writes the config of `storage serve` for one backend
// into dir: st is its store: section; every backend shares usersFile.
func writeStorageConfig(dir string, st map[string]any, usersFile string) (string, error) {
	cfg := map[string]any{
		"key_file": filepath.Join(dir, "sync.key"), // required, never read by `storage`
		"store":    st,
		"storage":  map[string]any{"users_file": usersFile},
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("contactbridge config: %w", err)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("contactbridge config: %w", err)
	}
	return path, nil
}

// addUsers adds the users with `contactbridge storage user add`, one
// process each (the command rewrites the users file whole, so two at once
// could lose one), into a users file every backend's config names.
func (sb *storageBench) addUsers(ctx context.Context, bin, root string) (string, error) {
	dir := filepath.Join(root, "users")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("storage users: %w", err)
	}
	usersFile := filepath.Join(root, "storage-users.yaml")
	cfg, err := writeStorageConfig(dir, map[string]any{backendSQLite: filepath.Join(dir, "unused.db")}, usersFile)
	if err != nil {
		return "", err
	}
	cli := &cliRig{bin: bin, config: cfg}
	sb.progress("storage: adding %d users (an argon2id hash each)", sb.Users)
	start := time.Now()
	for i := range sb.Users {
		user := storageUser(i)
		pw, err := secretFile(dir, user+".pass", storagePassword(user))
		if err != nil {
			return "", fmt.Errorf("storage user %s: %w", user, err)
		}
		if _, err := cli.run(ctx, "storage", "user", "add", user, "--password-file", pw); err != nil {
			return "", fmt.Errorf("storage user %s: %w", user, err)
		}
	}
	sb.progress("storage: %d users added in %s", sb.Users, fmtDur(time.Since(start)))
	return usersFile, nil
}

// backendStore returns the store: section of backend's config, what it
// is, and a function that releases it (a throwaway PostgreSQL server).
func (sb *storageBench) backendStore(ctx context.Context, dir, backend string) (map[string]any, string, func(), error) {
	if backend == backendSQLite {
		return map[string]any{backendSQLite: filepath.Join(dir, "store.db")},
			"`store.sqlite`: a file on this machine's disk (WAL, synchronous=NORMAL)", func() {}, nil
	}
	if sb.Postgres != "" {
		v, err := postgresVersion(ctx, sb.Postgres)
		if err != nil {
			return nil, "", nil, err
		}
		return map[string]any{backendPostgres: sb.Postgres}, "`store.postgres`: PostgreSQL " + v + " at -postgres", func() {}, nil
	}
	sb.progress("storage: starting PostgreSQL")
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err := pgtest.StartServer(sctx)
	if err != nil {
		return nil, "", nil, err
	}
	stop := func() {
		if err := srv.Stop(); err != nil {
			sb.progress("storage: %v", err)
		}
	}
	dsn, err := pgtest.CreateDatabase(sctx, srv.DSN())
	if err == nil {
		var v string
		if v, err = postgresVersion(sctx, dsn); err == nil {
			return map[string]any{backendPostgres: dsn}, "`store.postgres`: PostgreSQL " + v +
				" on loopback, started by cbbench (pgtest: fsync, synchronous_commit and full_page_writes off)", stop, nil
		}
	}
	stop()
	return nil, "", nil, err
}

// postgresVersion asks the server of dsn for its version.
func postgresVersion(ctx context.Context, dsn string) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(context.Background())
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("postgres: server version: %w", err)
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0] // "15.14 (Debian 15.14-0+deb12u1)"
	}
	return v, nil
}

// A storageRig is one backend served by `contactbridge storage serve` and
// the clients of the benchmark's users.
type storageRig struct {
	sb     *storageBench
	srv    *davServer
	client *syncClient
	res    *storageResult
	be     *storageBackend
}

// runBackend serves backend and measures it: the users' first requests,
// then a load and a read phase per number of clients.
func (sb *storageBench) runBackend(ctx context.Context, res *storageResult, bin, root, usersFile, backend string) error {
	dir := filepath.Join(root, backend)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	st, desc, release, err := sb.backendStore(ctx, dir, backend)
	if err != nil {
		return err
	}
	defer release()
	cfg, err := writeStorageConfig(dir, st, usersFile)
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	srv := &davServer{Name: "contactbridge-storage", URL: "http://" + addr}
	sb.progress("storage %s: serving on %s", backend, addr)
	// Started by this process directly: its ru_maxrss would count this
	// process's memory (see runSpawn), but VmHWM is its own from exec on.
	if err := srv.start(ctx, dir, bin, "--config", cfg, "storage", "serve", "--listen", addr); err != nil {
		return err
	}
	defer srv.Close()
	conns := slices.Max(sb.Clients)
	r := &storageRig{sb: sb, srv: srv, client: newSyncClient(srv.URL, conns, storagePassword), res: res,
		be: &storageBackend{Name: backend, Store: desc}}
	defer r.client.close()
	r.be.Idle = r.memory()

	if err := r.login(ctx, conns); err != nil {
		return err
	}
	for _, c := range sb.Clients {
		if err := r.clear(ctx, conns); err != nil {
			return err
		}
		if err := r.load(ctx, c); err != nil {
			return err
		}
		if err := r.read(ctx, c); err != nil {
			return err
		}
		if err := r.verify(ctx, conns, c); err != nil {
			return err
		}
	}
	res.Backends = append(res.Backends, *r.be)
	return nil
}

// memory reads the server's memory.
func (r *storageRig) memory() serverMemory {
	if r.srv.cmd == nil || r.srv.cmd.Process == nil {
		return serverMemory{}
	}
	return procMemory(r.srv.cmd.Process.Pid)
}

// procMemory reads the memory of process pid from /proc (Linux).
func procMemory(pid int) serverMemory {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return serverMemory{}
	}
	var m serverMemory
	for line := range bytes.Lines(b) {
		key, rest, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "1960", "kB"
		if len(f) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			continue
		}
		switch string(key) {
		case "VmRSS":
			m.RSS = kb * 1024
		case "VmHWM":
			m.HWM = kb * 1024
		case "RssAnon":
			m.Anon = kb * 1024
		case "RssFile":
			m.File = kb * 1024
		}
	}
	return m
}

// measure runs fn, which makes the phase's requests, and records the
// phase.
func (r *storageRig) measure(name string, clients int, fn func() (clientTally, error)) error {
	settle()
	cpu0 := r.srv.CPU()
	m := startMeter()
	t, err := fn()
	c := m.stop()
	cpu := r.srv.CPU() - cpu0
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	p := storagePhase{Name: name, Clients: clients, Requests: t.requests, Records: t.records, Bytes: t.bytes,
		Wall: c.Wall, Latency: summarise(t.latencies), ServerCPU: cpu, ClientCPU: c.CPU(), Memory: r.memory()}
	r.be.Phases = append(r.be.Phases, p)
	r.sb.progress("storage %s: %s, %s: %d requests in %s, p99 %s", r.be.Name, name, clientsLabel(clients), p.Requests,
		fmtDur(p.Wall), fmtDur(p.Latency.P99))
	return nil
}

// clear deletes every user's records (DELETE storage), so that a load
// phase writes new records, whatever the store held before (the previous
// phase, or an earlier run in the database of -postgres). Not measured.
func (r *storageRig) clear(ctx context.Context, conns int) error {
	var bad problems
	_, err := runClients(ctx, conns, r.sb.Users, func(t *clientTally, i int) error {
		user := storageUser(i)
		rep, err := r.client.send(ctx, http.MethodDelete, user, "storage", nil, false)
		if err != nil {
			return err
		}
		if rep.status != http.StatusOK {
			bad.add("DELETE %s storage: %s", user, rep.describe())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear the users' storage: %w", err)
	}
	if !bad.none() {
		return fmt.Errorf("clear the users' storage: %s", &bad)
	}
	return nil
}

// login makes every user's first request (GET info/collections): the one
// that checks the password against its argon2id hash; the server then
// remembers it for 5 minutes.
func (r *storageRig) login(ctx context.Context, clients int) error {
	var bad problems
	err := r.measure("first request per user (argon2id check)", clients, func() (clientTally, error) {
		return runClients(ctx, clients, r.sb.Users, func(t *clientTally, i int) error {
			user := storageUser(i)
			rep, err := r.client.send(ctx, http.MethodGet, user, "info/collections", nil, false)
			if err != nil {
				return err
			}
			t.add(rep, 0, 0)
			if rep.status != http.StatusOK {
				bad.add("GET %s info/collections: %s", user, rep.describe())
			}
			return nil
		})
	})
	r.res.Checks.add(fmt.Sprintf("%s: every user's first request answers 200", r.be.Name), err == nil && bad.none(), "failures: %s", &bad)
	return err
}

// load has each user POST its records in batches; a client takes the next
// user when done with one, as a device uploading its records would.
func (r *storageRig) load(ctx context.Context, clients int) error {
	sb := r.sb
	var bad problems
	name := fmt.Sprintf("load: POST %d × %d records per user", ceilDiv(sb.Records, sb.Batch), sb.Batch)
	err := r.measure(name, clients, func() (clientTally, error) {
		return runClients(ctx, clients, sb.Users, func(t *clientTally, i int) error {
			user := storageUser(i)
			recs := storageRecords(sb.Seed, i, sb.Records, sb.PayloadBytes)
			for off := 0; off < len(recs); off += sb.Batch {
				part := recs[off:min(off+sb.Batch, len(recs))]
				body, err := json.Marshal(part)
				if err != nil {
					return err
				}
				rep, err := r.client.send(ctx, http.MethodPost, user, "storage/"+storageCollection, body, true)
				if err != nil {
					return err
				}
				t.add(rep, len(part), int64(len(body)))
				if msg := checkPost(rep, part); msg != "" {
					bad.add("POST %s records %d–%d: %s", user, off, off+len(part)-1, msg)
				}
			}
			return nil
		})
	})
	r.res.Checks.add(fmt.Sprintf("%s, %s: every POST answers 200 with all its ids in success", r.be.Name, clientsLabel(clients)),
		err == nil && bad.none(), "failures: %s", &bad)
	return err
}

// checkPost returns what is wrong with the answer to a POST of recs, or
// "".
func checkPost(rep syncReply, recs []syncRecord) string {
	if rep.status != http.StatusOK {
		return rep.describe()
	}
	var wr struct {
		Success []string          `json:"success"`
		Failed  map[string]string `json:"failed"`
	}
	if err := json.Unmarshal(rep.body, &wr); err != nil {
		return fmt.Sprintf("the answer is not a write result: %v", err)
	}
	if len(wr.Failed) > 0 {
		return fmt.Sprintf("%d ids failed: %v", len(wr.Failed), wr.Failed)
	}
	ok := make(map[string]bool, len(wr.Success))
	for _, id := range wr.Success {
		ok[id] = true
	}
	missing := 0
	for _, rec := range recs {
		if !ok[rec.ID] {
			missing++
		}
	}
	if missing > 0 || len(wr.Success) != len(recs) {
		return fmt.Sprintf("%d ids in success for %d records, %d of them missing", len(wr.Success), len(recs), missing)
	}
	return ""
}

// readOrder is the users a read phase reads, in turn: every user
// ReadRounds times, each round in a random order.
func (sb *storageBench) readOrder(salt uint64) []int {
	rng := rand.New(rand.NewPCG(sb.Seed, salt))
	var out []int
	for range max(sb.ReadRounds, 1) {
		out = append(out, rng.Perm(sb.Users)...)
	}
	return out
}

// read has clients read whole users, page by page, following
// X-Weave-Next-Offset: only the bodies' sizes and X-Weave-Records are
// looked at, so that the clients take as little of the CPU the server
// needs as they can; verify compares the records.
func (r *storageRig) read(ctx context.Context, clients int) error {
	sb := r.sb
	order := sb.readOrder(uint64(clients))
	var bad problems
	name := fmt.Sprintf("read: GET pages of %d (full, newer=0), every user %d×", sb.Page, max(sb.ReadRounds, 1))
	err := r.measure(name, clients, func() (clientTally, error) {
		return runClients(ctx, clients, len(order), func(t *clientTally, i int) error {
			user := storageUser(order[i])
			n, err := r.readUser(ctx, user, false, func(rep syncReply, records int) error {
				t.add(rep, records, 0)
				if rep.status != http.StatusOK {
					bad.add("GET %s: %s", user, rep.describe())
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n != sb.Records {
				bad.add("%s: %d records read, want %d", user, n, sb.Records)
			}
			return nil
		})
	})
	r.res.Checks.add(fmt.Sprintf("%s, %s: every read of a user returns exactly %d records", r.be.Name, clientsLabel(clients), sb.Records),
		err == nil && bad.none(), "failures: %s", &bad)
	return err
}

// readUser reads user's collection page by page and calls page for each
// answer with the records it holds (X-Weave-Records), keeping its body
// only when page needs it (keepBody). It returns how many records the
// pages held; a page that does not answer 200 ends the read.
func (r *storageRig) readUser(ctx context.Context, user string, keepBody bool, page func(rep syncReply, records int) error) (int, error) {
	total, offset := 0, ""
	for pages := 0; ; pages++ {
		if pages > r.sb.Records/r.sb.Page+2 {
			return total, fmt.Errorf("%s: more than %d pages: the offsets do not end", user, pages)
		}
		q := url.Values{"full": {"1"}, "newer": {"0"}, "limit": {strconv.Itoa(r.sb.Page)}}
		if offset != "" {
			q.Set("offset", offset)
		}
		rep, err := r.client.send(ctx, http.MethodGet, user, "storage/"+storageCollection+"?"+q.Encode(), nil, keepBody)
		if err != nil {
			return total, err
		}
		if rep.status != http.StatusOK {
			return total, page(rep, 0)
		}
		n, err := strconv.Atoi(rep.header.Get("X-Weave-Records"))
		if err != nil {
			return total, fmt.Errorf("%s: X-Weave-Records %q: %w", user, rep.header.Get("X-Weave-Records"), err)
		}
		total += n
		if err := page(rep, n); err != nil {
			return total, err
		}
		if offset = rep.header.Get("X-Weave-Next-Offset"); offset == "" {
			return total, nil
		}
	}
}

// verify reads every user once more, not measured, and compares what it
// reads with what the user wrote: the same ids, each once, with the same
// payloads.
func (r *storageRig) verify(ctx context.Context, conns, clients int) error {
	sb := r.sb
	var bad problems
	_, err := runClients(ctx, conns, sb.Users, func(_ *clientTally, i int) error {
		user := storageUser(i)
		want := map[string]string{}
		for _, rec := range storageRecords(sb.Seed, i, sb.Records, sb.PayloadBytes) {
			want[rec.ID] = rec.Payload
		}
		seen := map[string]bool{}
		wrong := 0
		n, err := r.readUser(ctx, user, true, func(rep syncReply, records int) error {
			if rep.status != http.StatusOK {
				bad.add("GET %s: %s", user, rep.describe())
				return nil
			}
			var got []syncRecord
			if err := json.Unmarshal(rep.body, &got); err != nil {
				bad.add("GET %s: the answer is not a list of records: %v", user, err)
				return nil
			}
			if len(got) != records {
				bad.add("GET %s: %d records, X-Weave-Records says %d", user, len(got), records)
			}
			for _, rec := range got {
				if p, ok := want[rec.ID]; !ok || p != rec.Payload || seen[rec.ID] {
					wrong++
				}
				seen[rec.ID] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		if wrong > 0 || len(seen) != len(want) || n != len(want) {
			bad.add("%s: %d records read, %d distinct, %d unknown, repeated or changed; want the %d written", user, n,
				len(seen), wrong, len(want))
		}
		return nil
	})
	r.res.Checks.add(fmt.Sprintf("%s, %s: each user reads back exactly the ids and payloads it wrote", r.be.Name, clientsLabel(clients)),
		err == nil && bad.none(), "failures: %s", &bad)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}

// writeStorageMarkdown writes the results as Markdown, headings at level
// 3 so that they can sit under a section of docs/benchmarks.md.
func writeStorageMarkdown(w io.Writer, res *storageResult) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "### Machine\n\n- %d CPUs (GOMAXPROCS %d), %s\n- %s, kernel %s, %s\n", m.CPUs, m.GOMAXPROCS, m.CPUModel,
		m.OS, orUnknown(m.Kernel), m.Go)
	fmt.Fprintf(&b, "- load average %s at the end\n", loadAverage())
	fmt.Fprintf(&b, "- %d users × %d records in `%s`: ids of 12 base64url characters, payloads of %d bytes (a v5 envelope: base64 ciphertext, IV, hex HMAC); POSTs of %d records, GET pages of %d, %d read rounds; seed %d\n\n",
		res.Users, res.Records, storageCollection, res.PayloadBytes, res.Batch, res.Page, max(res.ReadRounds, 1), res.Seed)
	for _, be := range res.Backends {
		fmt.Fprintf(&b, "### %s: %s\n\n", be.Name, be.Store)
		b.WriteString("| phase | clients | requests | wall | requests/s | records/s | MiB/s | p50 | p99 | max | server CPU | client CPU | server VmRSS (anon + file) after | server VmHWM after |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(&b, "| server started, no request yet | | | | | | | | | | | | %s | %s |\n", fmtMemory(be.Idle), fmtBytes(be.Idle.HWM))
		for _, p := range be.Phases {
			secs := p.Wall.Seconds()
			records := "—"
			if p.Records > 0 {
				records = fmt.Sprintf("%.0f", float64(p.Records)/secs)
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %.0f | %s | %.1f | %s | %s | %s | %s | %s | %s | %s |\n", p.Name, p.Clients,
				p.Requests, fmtDur(p.Wall), float64(p.Requests)/secs, records, float64(p.Bytes)/(1<<20)/secs,
				fmtDur(p.Latency.P50), fmtDur(p.Latency.P99), fmtDur(p.Latency.Max), fmtDur(p.ServerCPU), fmtDur(p.ClientCPU),
				fmtMemory(p.Memory), fmtBytes(p.Memory.HWM))
		}
		b.WriteString("\n")
	}
	res.Checks.markdown(&b, "Checks")
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtMemory writes VmRSS and its anonymous and file parts.
func fmtMemory(m serverMemory) string {
	return fmt.Sprintf("%s (%s + %s)", fmtBytes(m.RSS), fmtBytes(m.Anon), fmtBytes(m.File))
}

// clientsLabel is "1 client" or "N clients".
func clientsLabel(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}

// runStorage parses the flags of `cbbench storage`, runs it and writes
// the results.
func runStorage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbbench storage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backends := fs.String("backends", "sqlite,postgres", "backends to serve, in order: sqlite, postgres")
	users := fs.Int("users", 100, "number of users")
	records := fs.Int("records", 1000, "records per user")
	batch := fs.Int("batch", 100, "records per POST (the server's max_post_records is 100)")
	page := fs.Int("page", 1000, "records per GET page (limit=)")
	clients := fs.String("concurrency", "1,8", "concurrent clients: a load and a read phase for each of these comma-separated numbers (the server serves 64 requests at once)")
	rounds := fs.Int("read-rounds", 3, "each read phase reads every user this many times")
	payload := fs.Int("payload", 1000, "payload bytes per record (about)")
	seed := fs.Uint64("seed", 1, "seed of the generated records and of the read order")
	pg := fs.String("postgres", "", "`DSN` of the database for the postgres backend; its users u000… are emptied (default: start a throwaway PostgreSQL on loopback)")
	contactbridge := fs.String("contactbridge-bin", "", "contactbridge binary to measure (default: build it from this module)")
	out := fs.String("out", "", "write the Markdown report to `FILE` (default: standard output)")
	dir := fs.String("dir", "", "folder for the temporary data (default: the system's)")
	keep := fs.Bool("keep", false, "keep the temporary folder")
	quiet := fs.Bool("q", false, "do not print progress to standard error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("storage: unexpected arguments %q", fs.Args())
	}
	sb := &storageBench{Users: *users, Records: *records, Batch: *batch, Page: *page, ReadRounds: *rounds,
		PayloadBytes: *payload, Seed: *seed, Postgres: *pg, Contactbridge: *contactbridge, WorkDir: *dir, Keep: *keep}
	if *users < 1 || *records < 1 || *batch < 1 || *page < 1 || *rounds < 1 || *payload < 1 {
		return errors.New("storage: -users, -records, -batch, -page, -read-rounds and -payload must be positive")
	}
	for f := range strings.SplitSeq(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("storage: -concurrency %q: want positive numbers of clients, separated by commas", *clients)
		}
		sb.Clients = append(sb.Clients, n)
	}
	for f := range strings.SplitSeq(*backends, ",") {
		switch f = strings.TrimSpace(f); f {
		case backendSQLite, backendPostgres:
			sb.Backends = append(sb.Backends, f)
		default:
			return fmt.Errorf("storage: -backends %q: want sqlite, postgres or both, separated by commas", *backends)
		}
	}
	if !*quiet {
		sb.Progress = stderr
	}
	res, err := sb.Run(ctx)
	if errors.Is(err, pgtest.ErrNotInstalled) {
		return fmt.Errorf("%w (apt-get install postgresql, pass -postgres DSN, or -backends sqlite)", err)
	}
	if err != nil {
		return err
	}
	if err := writeTo(*out, stdout, func(w io.Writer) error { return writeStorageMarkdown(w, res) }); err != nil {
		return err
	}
	return res.Checks.err()
}
