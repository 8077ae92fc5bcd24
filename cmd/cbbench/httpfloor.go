package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// runHTTPFloor measures what the client side of an initial CardDAV sync
// cannot avoid: sending N ready-made cards to an empty Xandikos address
// book, one `PUT If-None-Match: *` each, with Go's net/http over
// keep-alive connections, -concurrency at a time — nothing parsed,
// encrypted or stored. The client CPU of a sync through the hub can never
// be below this floor for the same server; it is mostly the cost of
// waiting on a slow server (network polling, goroutine wake-ups).
func runHTTPFloor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbbench httpfloor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000, "number of cards")
	conc := fs.Int("concurrency", 4, "PUTs in flight")
	xandikos := fs.String("xandikos-bin", "xandikos", "Xandikos binary")
	dir := fs.String("dir", "", "folder for the temporary data (default: the system's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *conc <= 0 {
		return errors.New("httpfloor: -n and -concurrency must be positive")
	}
	bin, err := exec.LookPath(*xandikos)
	if err != nil {
		return fmt.Errorf("-xandikos-bin: %s not found: install it with `apt-get install xandikos`", *xandikos)
	}
	root, err := os.MkdirTemp(*dir, "cbbench-httpfloor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	srv, err := startXandikos(ctx, bin, root)
	if err != nil {
		return err
	}
	defer srv.Close()
	g := NewGenerator(1)
	bodies := make([][]byte, *n)
	for i := range bodies {
		if bodies[i], err = g.Marshal(i, 0); err != nil {
			return err
		}
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: *conc + 2}}
	settle()
	cpu0 := srv.CPU()
	mt := startMeter()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, *conc)
	for w := range *conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= *n || errs[w] != nil {
					return
				}
				errs[w] = put(ctx, client, fmt.Sprintf("%s%s%s", srv.URL, srv.Book, g.FileName(i)), bodies[i])
			}
		})
	}
	wg.Wait()
	c := mt.stop()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("httpfloor: %w", err)
	}
	fmt.Fprintf(stdout, "### HTTP floor: %d PUTs to an empty Xandikos address book, %d at a time\n\n", *n, *conc)
	fmt.Fprintf(stdout, "- load average %s at the end\n\n", loadAverage())
	fmt.Fprintln(stdout, "| wall | client CPU | client CPU per PUT | Xandikos CPU |")
	fmt.Fprintln(stdout, "|---:|---:|---:|---:|")
	fmt.Fprintf(stdout, "| %s | %s | %.0f µs | %s |\n", fmtDur(c.Wall), fmtDur(c.CPU()),
		float64(c.CPU().Microseconds())/float64(*n), fmtDur(srv.CPU()-cpu0))
	return nil
}

// put sends one create.
func put(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/vcard; charset=utf-8")
	req.Header.Set("If-None-Match", "*")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("PUT %s: %s", url, res.Status)
	}
	return nil
}
