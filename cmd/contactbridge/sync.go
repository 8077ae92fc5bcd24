package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/bridge"
)

type syncOptions struct {
	*options
	accounts        []string
	dryRun          bool
	allowMassDelete bool
	json            bool
	verbose         bool
	init            bool
	viaService      bool
}

func newSyncCommand(opts *options) *cobra.Command {
	o := &syncOptions{options: opts}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync the accounts with the hub, once",
		Long: `sync reconciles each account of the config with the encrypted hub, two-way,
in the order the config lists them, and prints what it did per account:
contacts created, updated and deleted in the hub and in the account,
conflicts, and the items it could not sync and why.

A change that one account brings into the hub reaches the accounts synced
after it at once; the accounts synced before it get a second pass, shown as
"(second pass)", so that every account agrees when sync returns.

Exit codes: 0 everything synced; 1 the run finished but some items failed
(they are listed, and retried by the next sync); 2 the run could not run
(config, key, store, a missing folder, or the mass-deletion brake).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSync(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.accounts, "account", nil, "sync only this account (repeat for several; default all)")
	f.BoolVar(&o.dryRun, "dry-run", false, "show what would change without writing anything")
	f.BoolVar(&o.allowMassDelete, "allow-mass-delete", false, "let this run delete more than 30% of an account's contacts")
	f.BoolVar(&o.json, "json", false, "print the reports as one JSON document")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log each run's progress to stderr (never contact data)")
	f.BoolVar(&o.viaService, "via-service", false, "ask the running service (contactbridge run) to sync now instead")
	f.BoolVar(&o.init, "init", false, "first run: create a missing Sync Key and hub (as `init` does) before syncing")
	return cmd
}

// syncResult is one account's entry in the output of `sync --json`: the
// bridge's report, and the error that stopped the run if one did.
type syncResult struct {
	*bridge.Report
	// Pass is 1 for an account's first run in this command, 2 for a run
	// that brings it what accounts synced after it added to the hub.
	Pass  int    `json:"pass"`
	Error string `json:"error,omitempty"`
}

// maxPasses bounds how often one sync runs an account: the first run, and
// one more for the changes that accounts after it brought into the hub. A
// second pass that writes to the hub again (a remote that rewrites what it
// is given) is left to the next sync rather than chased here.
const maxPasses = 2

func runSync(ctx context.Context, out, errOut io.Writer, o *syncOptions) error {
	cfg, err := loadConfigFlag(o.options)
	if err != nil {
		return cannot(err)
	}
	if o.init {
		if err := initIfNeeded(ctx, errOut, cfg, o.options); err != nil {
			return err
		}
	}
	selected, err := cfg.selectAccounts(o.accounts)
	if err != nil {
		return cannot(err)
	}
	if len(selected) == 0 {
		return cannot(fmt.Errorf("the config %s has no accounts: add one under `accounts:` (see the README)", cfg.path))
	}
	if o.viaService {
		for _, a := range selected {
			if err := serviceRequest(ctx, cfg, http.MethodPost, "/api/sync/"+url.PathEscape(a.Name), nil); err != nil {
				return cannot(fmt.Errorf("sync --via-service: %w", err))
			}
			fmt.Fprintf(out, "%s: the service syncs it now (see `contactbridge status`)\n", a.Name)
		}
		return nil
	}
	if !o.dryRun {
		lock, err := acquireLock(cfg)
		if err != nil {
			if errors.Is(err, errLocked) {
				err = fmt.Errorf("%w: if `contactbridge run` is running, use `contactbridge sync --via-service`", err)
			}
			return cannot(err)
		}
		defer lock.Release()
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: level}))
	s, err := openSession(ctx, cfg, log)
	if err != nil {
		return cannot(err)
	}
	defer s.Close()

	// Open every account before syncing any, so that a config mistake
	// stops the command before it changes anything.
	accts := make([]bridge.Account, 0, len(selected))
	for _, a := range selected {
		acct, err := cfg.openAccount(ctx, a, openEnv{dryRun: o.dryRun, log: log, engine: s.engine})
		if err != nil {
			return cannot(err)
		}
		accts = append(accts, acct)
	}

	runs, err := newRunLog(cfg)
	if err != nil {
		return cannot(err)
	}
	var results []syncResult
	var stopped []error
	failed := 0
	// A change one account brings into the hub reaches the accounts synced
	// after it at once, but the ones synced before it only on their next
	// run: run those again, so that every account agrees when sync returns.
	// hubGen counts the runs that wrote to the hub; seen[i] is the hubGen
	// account i has caught up with.
	hubGen := 0
	seen := make([]int, len(accts))
	for i := range seen {
		seen[i] = -1 // not run yet
	}
	halted := make([]bool, len(accts)) // stopped by an error: not again
	for pass := 1; pass <= maxPasses && ctx.Err() == nil; pass++ {
		ran := false
		for i, acct := range accts {
			if ctx.Err() != nil {
				break
			}
			if halted[i] || seen[i] == hubGen {
				continue
			}
			ran = true
			opts := bridge.Options{Policy: cfg.policy(), DryRun: o.dryRun, AllowMassDelete: o.allowMassDelete}
			var bars *progress
			if !o.json && isTerminal(errOut) {
				bars = newProgress(errOut, acct.Name)
				opts.Progress = bars.update
			}
			start := time.Now()
			rep, err := s.engine.Sync(ctx, acct, opts)
			bars.finish()
			if !o.dryRun && runs != nil {
				if rerr := runs.record(acct.Name, runStatusOf(rep, "sync", start, time.Since(start), err)); rerr != nil {
					log.Warn("record the run for `contactbridge status`", "account", acct.Name, "err", rerr)
				}
			}
			if rep == nil {
				rep = &bridge.Report{Account: acct.Name}
			}
			if rep.ToHub.Total() > 0 && !o.dryRun {
				hubGen++
			}
			seen[i] = hubGen
			res := syncResult{Report: rep, Pass: pass}
			if err != nil {
				res.Error = err.Error()
				stopped = append(stopped, err)
				halted[i] = true
			}
			failed += len(rep.Failed)
			results = append(results, res)
			if !o.json {
				printReport(out, res)
			}
		}
		if !ran || o.dryRun {
			break
		}
	}
	if o.json {
		if results == nil {
			results = []syncResult{}
		}
		if err := writeJSON(out, results); err != nil {
			return cannot(fmt.Errorf("sync: %w", err))
		}
	}
	switch {
	case ctx.Err() != nil:
		return cannot(fmt.Errorf("sync: interrupted; the next sync carries on where this one stopped: %w", ctx.Err()))
	case len(stopped) > 0:
		return cannot(errors.Join(stopped...))
	case failed > 0:
		return &exitError{code: exitPartial, err: fmt.Errorf("sync: %d %s could not be synced (listed above)", failed, plural(failed, "item", "items"))}
	}
	return nil
}

// initIfNeeded sets up a missing Sync Key and hub for `sync --init`. It
// does nothing when the key file exists; otherwise it does what `init`
// does, which refuses to replace a hub made under another key.
func initIfNeeded(ctx context.Context, out io.Writer, cfg *Config, opts *options) error {
	keyPath, err := cfg.resolve(cfg.KeyFile)
	if err != nil {
		return cannot(err)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return runInit(ctx, out, &initOptions{options: &options{configPath: cfg.path}})
}

// printReport writes the human summary of one account's run.
func printReport(w io.Writer, res syncResult) {
	r := res.Report
	d := r.Duration.Round(time.Millisecond)
	name := r.Account
	if res.Pass > 1 {
		name += " (second pass)"
	}
	if r.DryRun {
		fmt.Fprintf(w, "%s: dry run, nothing was written (%s)\n", r.Account, d)
	} else if res.Error == "" && r.ToHub.Total() == 0 && r.ToRemote.Total() == 0 && r.Conflicts == 0 && len(r.Failed) == 0 && r.Waiting == 0 {
		fmt.Fprintf(w, "%s: up to date (%s)\n", name, d)
		return
	} else if res.Error != "" {
		fmt.Fprintf(w, "%s: stopped after %s; the error is below\n", name, d)
	} else {
		fmt.Fprintf(w, "%s: synced in %s\n", name, d)
	}
	verb := ""
	if r.DryRun {
		verb = "would be "
	}
	counts := func(c bridge.Counts) string {
		return fmt.Sprintf("%d %screated, %d updated, %d deleted", c.Created, verb, c.Updated, c.Deleted)
	}
	fmt.Fprintf(w, "  %-16s %s\n", "to the hub:", counts(r.ToHub))
	fmt.Fprintf(w, "  %-16s %s\n", "to "+r.Account+":", counts(r.ToRemote))
	if r.Conflicts > 0 {
		fmt.Fprintf(w, "  %-16s %d (review them with `contactbridge conflicts`)\n", "conflicts:", r.Conflicts)
	}
	if r.Waiting > 0 {
		fmt.Fprintf(w, "  %-16s %d %s an interrupted sync may have created on %s; created by a later sync once %s could list them\n",
			"waiting:", r.Waiting, plural(r.Waiting, "contact", "contacts"), r.Account, r.Account)
	}
	if len(r.Failed) > 0 {
		fmt.Fprintf(w, "  %-16s %d\n", "failed:", len(r.Failed))
		for _, f := range r.Failed {
			var ids []string
			if f.Remote != "" {
				ids = append(ids, f.Remote)
			}
			if f.Record != "" {
				ids = append(ids, "record "+f.Record)
			}
			retry := ""
			if f.Transient {
				retry = " (retried by the next sync)"
			}
			fmt.Fprintf(w, "    %s: %s%s\n", strings.Join(ids, ", "), f.Reason, retry)
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
