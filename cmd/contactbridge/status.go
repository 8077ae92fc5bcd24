package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/cmd/contactbridge/internal/web"
)

// serviceTimeout bounds a request to the running service.
const serviceTimeout = 3 * time.Second

func newStatusCommand(opts *options) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every account's schedule, last run and next run",
		Long: `status asks the running service (contactbridge run, at http.listen) for
every account's type, schedule, last run (when, how long, what it changed,
its error) and next run, and the conflicts waiting. When no service answers
it shows what the store says: the accounts, their schedules and conflicts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), cmd.OutOrStdout(), opts, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func runStatus(ctx context.Context, out io.Writer, o *options, asJSON bool) error {
	cfg, err := loadConfigFlag(o)
	if err != nil {
		return cannot(err)
	}
	snap, live, err := serviceSnapshot(ctx, cfg)
	if err != nil {
		return cannot(err)
	}
	if asJSON {
		return writeJSON(out, struct {
			Service bool `json:"service"`
			web.Snapshot
		}{live, snap})
	}
	if live {
		fmt.Fprintf(out, "service: running %s since %s\n", snap.Version, snap.Started.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintln(out, "service: not running (showing the config and the store)")
	}
	if snap.ConfigError != "" {
		fmt.Fprintf(out, "config: the last reload failed, the previous config is running: %s\n", snap.ConfigError)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tTYPE\tSCHEDULE\tLAST RUN\tRESULT\tNEXT RUN\tCONFLICTS")
	for _, a := range snap.Accounts {
		last, result := "-", "-"
		if a.Running {
			result = "running"
		}
		if r := a.Last; r != nil {
			last = fmt.Sprintf("%s (%s)", r.Start.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
			if !a.Running {
				result = fmt.Sprintf("ok: %d to hub, %d to account", r.ToHub.Total(), r.ToRemote.Total())
				if r.Err != "" {
					result = "failed: " + r.Err
				} else if r.Failed > 0 {
					result += fmt.Sprintf(", %d items failed", r.Failed)
				}
			}
		}
		next := "-"
		if !a.Next.IsZero() {
			next = a.Next.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", a.Name, a.Type, a.Schedule, last, oneLine(result), next, a.ConflictsWaiting)
	}
	return tw.Flush()
}

// serviceSnapshot asks the running service for its status; when none
// answers, it builds one from the config and the store (live false).
func serviceSnapshot(ctx context.Context, cfg *Config) (web.Snapshot, bool, error) {
	if addr := cfg.listen(); addr != "" {
		var snap web.Snapshot
		if err := serviceRequest(ctx, cfg, http.MethodGet, "/api/status", &snap); err == nil {
			return snap, true, nil
		}
	}
	snap := web.Snapshot{Now: time.Now(), Ready: true}
	s, err := openSession(ctx, cfg, nil)
	if err != nil {
		return snap, false, err
	}
	defer s.Close()
	n, err := conflictsByAccount(ctx, s.engine)
	if err != nil {
		return snap, false, err
	}
	runs, err := newRunLog(cfg)
	if err != nil {
		return snap, false, err
	}
	last, err := runs.read()
	if err != nil {
		return snap, false, err
	}
	for _, a := range cfg.Accounts {
		snap.Accounts = append(snap.Accounts, web.AccountStatus{Name: a.Name, Type: a.Type, Schedule: cfg.schedule(a),
			ConflictsWaiting: n[a.Name], Last: last[a.Name].Last, LastSuccess: last[a.Name].LastSuccess})
	}
	return snap, false, nil
}

// serviceRequest sends one request to the running service's API and
// decodes its JSON answer into v (when v is not nil).
func serviceRequest(ctx context.Context, cfg *Config, method, path string, v any) error {
	addr := cfg.listen()
	if addr == "" {
		return fmt.Errorf("http.listen is %q: the service serves no API", listenOff)
	}
	ctx, cancel := context.WithTimeout(ctx, serviceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no service answers at %s: %w", addr, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("service at %s: %w", addr, err)
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("service at %s: %s", addr, e.Error)
		}
		return fmt.Errorf("service at %s: %s", addr, res.Status)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(body, v)
}
