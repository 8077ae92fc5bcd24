package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/bridge"
)

type exportOptions struct {
	*options
	to, username, passwordFile, passwordEnv, tokenFile string
	addressBook, caFile                                string
	create, json, verbose                              bool
}

func newExportCommand(opts *options) *cobra.Command {
	o := &exportOptions{options: opts}
	cmd := &cobra.Command{
		Use:   "export --to URL",
		Short: "Write the hub's contacts to a CardDAV server, once",
		Long: `export writes every contact of the hub to an address book on a CardDAV
server, one way and once: nothing is read into the hub, nothing is deleted
on the server. Running it again updates the contacts it wrote before instead
of duplicating them (each is stored under its hub record id), and leaves the
server's other contacts alone. To keep the server in sync both ways, add it
as a carddav account instead.

The password comes from --password-file (mode 0600) or the environment
variable --password-env names; never from the command line.

Exit codes: 0 every contact written; 1 some could not be (listed, and
written by the next export); 2 the export could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "the CardDAV server (root, principal, home set or address book URL)")
	f.StringVar(&o.username, "username", "", "HTTP Basic user name")
	f.StringVar(&o.passwordFile, "password-file", "", "file holding the password (mode 0600)")
	f.StringVar(&o.passwordEnv, "password-env", "", "environment variable holding the password")
	f.StringVar(&o.tokenFile, "token-file", "", "file holding a bearer token, instead of a password")
	f.StringVar(&o.addressBook, "addressbook", "", "address book by display name or path (default: the only one)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of extra trusted certificates")
	f.BoolVar(&o.create, "create", false, "create the address book when it is missing")
	f.BoolVar(&o.json, "json", false, "print the report as JSON")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log the export's requests to stderr (never contact data)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func runExport(ctx context.Context, out, errOut io.Writer, o *exportOptions) error {
	cfg, err := loadConfigFlag(o.options)
	if err != nil {
		return cannot(err)
	}
	// Paths on the command line are relative to where the command runs.
	abs := func(p string) (string, error) {
		if p == "" {
			return "", nil
		}
		return filepath.Abs(p)
	}
	a := AccountConfig{Name: "export", Type: "carddav", Create: o.create}
	a.URL, a.Username, a.PasswordEnv, a.AddressBook = o.to, o.username, o.passwordEnv, o.addressBook
	for dst, src := range map[*string]string{&a.PasswordFile: o.passwordFile, &a.TokenFile: o.tokenFile, &a.CAFile: o.caFile} {
		if *dst, err = abs(src); err != nil {
			return cannot(err)
		}
	}
	if err := checkCardDAV(a); err != nil {
		return cannot(fmt.Errorf("export: %w", err))
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
	acct, err := cfg.openAccount(ctx, a, openEnv{log: log, engine: s.engine})
	if err != nil {
		return cannot(err)
	}
	var bars *progress
	var progressFn func(string, int, int)
	if !o.json && isTerminal(errOut) {
		bars = newProgress(errOut, "export")
		progressFn = bars.update
	}
	rep, err := bridge.Export(ctx, s.hub, acct.Connector, progressFn)
	bars.finish()
	if err != nil {
		return cannot(err)
	}
	if o.json {
		if err := writeJSON(out, rep); err != nil {
			return cannot(err)
		}
	} else {
		fmt.Fprintf(out, "export to %s: %d created, %d updated, %d unchanged\n", o.to, rep.Created, rep.Updated, rep.Unchanged)
		if rep.NotInHub > 0 {
			fmt.Fprintf(out, "  %d contacts an earlier export wrote are no longer in the hub; they were left on the server\n", rep.NotInHub)
		}
		for _, f := range rep.Failed {
			fmt.Fprintf(out, "  failed: record %s: %s\n", f.Record, f.Reason)
		}
	}
	if n := len(rep.Failed); n > 0 {
		return &exitError{code: exitPartial, err: fmt.Errorf("export: %d %s could not be written (listed above); run export again", n, plural(n, "contact", "contacts"))}
	}
	return nil
}
