package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A syncRecord is one record as a Sync 1.5 client POSTs it and reads it
// back with full=1 (the other fields of a read are ignored).
type syncRecord struct {
	ID      string `json:"id"`
	Payload string `json:"payload"`
}

// envelopeOverhead is the length of a Sync v5 envelope around its
// ciphertext: `{"ciphertext":"","IV":"","hmac":""}`, a base64 IV of 16
// bytes and a hex HMAC-SHA256.
const envelopeOverhead = 35 + 24 + 64

// storageRecords returns the n records of user u: ids of 12 base64url
// characters (9 random bytes, as Firefox makes them) and payloads shaped
// like a v5 envelope of payloadBytes or a little less, its ciphertext
// random whole AES blocks. They depend only on seed and u, so the
// read-back is compared against them without keeping them.
func storageRecords(seed uint64, u, n, payloadBytes int) []syncRecord {
	rng := rand.New(rand.NewPCG(seed, uint64(u)))
	fill := func(b []byte) []byte {
		for i := 0; i < len(b); i += 8 {
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], rng.Uint64())
			copy(b[i:], w[:])
		}
		return b
	}
	cipherLen := max(16, (payloadBytes-envelopeOverhead)*3/4/16*16)
	out := make([]syncRecord, 0, n)
	seen := make(map[string]bool, n)
	var raw [9]byte
	ct, iv, mac := make([]byte, cipherLen), make([]byte, 16), make([]byte, 32)
	for len(out) < n {
		id := base64.RawURLEncoding.EncodeToString(fill(raw[:]))
		if seen[id] {
			continue // 72 random bits: never, but an id must not repeat
		}
		seen[id] = true
		payload := `{"ciphertext":"` + base64.StdEncoding.EncodeToString(fill(ct)) +
			`","IV":"` + base64.StdEncoding.EncodeToString(fill(iv)) +
			`","hmac":"` + hex.EncodeToString(fill(mac)) + `"}`
		out = append(out, syncRecord{ID: id, Payload: payload})
	}
	return out
}

// A syncClient is the benchmark's Sync Storage 1.5 client: HTTP Basic
// auth on every request, as Sync clients send it, over keep-alive
// connections.
type syncClient struct {
	base     string // http://127.0.0.1:PORT
	http     *http.Client
	password func(user string) string
}

// newSyncClient returns a client of the server at base that keeps up to
// conns connections open.
func newSyncClient(base string, conns int, password func(string) string) *syncClient {
	tr := &http.Transport{MaxIdleConns: conns + 2, MaxIdleConnsPerHost: conns + 2, IdleConnTimeout: time.Minute,
		DisableCompression: true}
	return &syncClient{base: base, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, password: password}
}

// close drops the client's idle connections.
func (c *syncClient) close() { c.http.CloseIdleConnections() }

// A syncReply is what one request got back: the status, the headers,
// the body (when asked for), its size, and the request's latency, from
// sending it until its body was read.
type syncReply struct {
	status int
	header http.Header
	body   []byte
	size   int64
	took   time.Duration
}

// send makes one request as user to /1.5/USER/path. With keepBody the
// reply holds the body, else the body is read and dropped. An error is a
// failed exchange (no HTTP answer), never a status.
func (c *syncClient) send(ctx context.Context, method, user, path string, body []byte, keepBody bool) (syncReply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	url := c.base + "/1.5/" + user + "/" + path
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return syncReply{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	req.SetBasicAuth(user, c.password(user))
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	res, err := c.http.Do(req)
	if err != nil {
		return syncReply{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer res.Body.Close()
	r := syncReply{status: res.StatusCode, header: res.Header}
	if keepBody || res.StatusCode/100 != 2 {
		r.body, err = io.ReadAll(res.Body)
		r.size = int64(len(r.body))
	} else {
		r.size, err = io.Copy(io.Discard, res.Body)
	}
	r.took = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("%s %s: read the answer: %w", method, url, err)
	}
	return r, nil
}

// describe is the reply's status and the start of its body, for a
// failed check.
func (r syncReply) describe() string {
	b := strings.TrimSpace(string(r.body))
	if len(b) > 120 {
		b = b[:120] + "…"
	}
	if b == "" {
		return fmt.Sprintf("HTTP %d", r.status)
	}
	return fmt.Sprintf("HTTP %d %s", r.status, b)
}

// A clientTally is what the requests of one client, or of all clients of
// a phase, did.
type clientTally struct {
	latencies []time.Duration
	requests  int
	records   int
	bytes     int64 // request bodies sent (POST) and answers received (GET)
}

// add counts one request.
func (t *clientTally) add(r syncReply, records int, sent int64) {
	t.latencies = append(t.latencies, r.took)
	t.requests++
	t.records += records
	t.bytes += sent + r.size
}

// runClients runs jobs 0…jobs-1 on clients goroutines, each taking the
// next job when done with one, and returns their tallies merged. The
// first error a job returns stops the others after their current job.
func runClients(ctx context.Context, clients, jobs int, job func(t *clientTally, i int) error) (clientTally, error) {
	var next atomic.Int64
	var stop atomic.Bool
	tallies := make([]clientTally, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1)) - 1
				if i >= jobs {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
				} else {
					errs[w] = job(&tallies[w], i)
				}
				if errs[w] != nil {
					stop.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	var all clientTally
	for _, t := range tallies {
		all.latencies = append(all.latencies, t.latencies...)
		all.requests += t.requests
		all.records += t.records
		all.bytes += t.bytes
	}
	for _, err := range errs {
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// Latency sums up the latencies of a phase's requests.
type Latency struct {
	P50, P99, Max time.Duration
}

// summarise returns the median, the 99th percentile (nearest rank) and
// the maximum of ds, which it sorts.
func summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	rank := func(q float64) time.Duration {
		i := int(float64(len(ds))*q+0.999999) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return Latency{P50: rank(0.50), P99: rank(0.99), Max: ds[len(ds)-1]}
}

// problems counts what failed a correctness check during a phase, and
// keeps the first few messages.
type problems struct {
	mu    sync.Mutex
	n     int
	first []string
}

// keptProblems is how many messages a problems keeps.
const keptProblems = 3

func (p *problems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if len(p.first) < keptProblems {
		p.first = append(p.first, fmt.Sprintf(format, args...))
	}
}

func (p *problems) none() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n == 0
}

// String is "none", or the count and the first messages.
func (p *problems) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return "none"
	}
	s := fmt.Sprintf("%d: %s", p.n, strings.Join(p.first, "; "))
	if p.n > len(p.first) {
		s += "; …"
	}
	return s
}
