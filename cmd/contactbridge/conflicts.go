package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/store"
)

type conflictsOptions struct {
	*options
	json bool
}

func newConflictsCommand(opts *options) *cobra.Command {
	o := &conflictsOptions{options: opts}
	cmd := &cobra.Command{
		Use:   "conflicts",
		Short: "Show the conflict log: contacts both sides changed differently",
		Long: `conflicts lists every true conflict a sync resolved — the hub and an
account changed the same single-valued property of a contact differently —
newest first: when, which account and record, the property, the hub's and
the account's values, and which one the contact kept (conflict_policy).

The contact already holds the kept value everywhere. To keep the other one,
edit the contact in any account and sync. Then remove the entry with
    contactbridge conflicts dismiss ID`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConflicts(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the log as JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "dismiss ID...",
		Short: "Remove entries from the conflict log once you have looked at them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConflictsDismiss(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, args)
		},
	})
	return cmd
}

func runConflicts(ctx context.Context, out io.Writer, o *conflictsOptions) error {
	s, err := openFromFlags(ctx, o.options)
	if err != nil {
		return err
	}
	defer s.Close()
	log, err := s.engine.Conflicts(ctx)
	if err != nil {
		return cannot(err)
	}
	if o.json {
		if log == nil {
			log = []bridge.ConflictEntry{}
		}
		return writeJSON(out, log)
	}
	if len(log) == 0 {
		fmt.Fprintln(out, "No conflicts.")
		return nil
	}
	for i, c := range log {
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "%s  %s  account %s  record %s  %s  kept %s\n",
			c.ID, c.Time.Local().Format("2006-01-02 15:04:05"), c.Account, c.Record, c.Property, c.Kept)
		printValues(out, "hub", c.Hub)
		printValues(out, c.Account, c.Remote)
		if len(c.Base) > 0 {
			printValues(out, "before", c.Base)
		}
	}
	fmt.Fprintf(out, "\n%d %s. Remove one you have dealt with: contactbridge conflicts dismiss ID\n",
		len(log), plural(len(log), "conflict", "conflicts"))
	return nil
}

func printValues(w io.Writer, side string, lines []string) {
	if len(lines) == 0 {
		lines = []string{"(none)"}
	}
	fmt.Fprintf(w, "    %-10s %s\n", side+":", strings.Join(lines, "\n               "))
}

func runConflictsDismiss(ctx context.Context, out, errOut io.Writer, o *options, ids []string) error {
	s, err := openFromFlags(ctx, o)
	if err != nil {
		return err
	}
	defer s.Close()
	failed := 0
	for _, id := range ids {
		err := s.engine.DismissConflict(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			failed++
			fmt.Fprintf(errOut, "conflict %s: not in the log (`contactbridge conflicts` shows the ids)\n", id)
		case err != nil:
			failed++
			fmt.Fprintf(errOut, "conflict %s: %v\n", id, err)
		default:
			fmt.Fprintf(out, "Dismissed conflict %s\n", id)
		}
	}
	if failed > 0 {
		return &exitError{code: exitPartial, err: fmt.Errorf("conflicts: %d of %d could not be dismissed", failed, len(ids))}
	}
	return nil
}
