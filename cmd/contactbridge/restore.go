package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newRestoreCommand(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "restore [ID...]",
		Short: "List deleted contacts, or undo the deletion of some",
		Long: `Without arguments, restore lists the deleted contacts that can still be
brought back (for 30 days after their deletion): record id, name, and when
they were deleted.

With record ids, it puts those contacts back into the hub. The next sync
re-creates them in every account.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return runTrashList(cmd.Context(), cmd.OutOrStdout(), opts)
			}
			return runRestore(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, args)
		},
	}
}

func runTrashList(ctx context.Context, out io.Writer, o *options) error {
	s, err := openFromFlags(ctx, o)
	if err != nil {
		return err
	}
	defer s.Close()
	trash, err := s.hub.Trash(ctx)
	if err != nil {
		return cannot(err)
	}
	if len(trash) == 0 {
		fmt.Fprintln(out, "No deleted contacts to restore.")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tDELETED")
	for _, d := range trash {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.ID, oneLine(displayName(d.Card)), d.Deleted.Time().Local().Format("2006-01-02 15:04:05"))
	}
	tw.Flush()
	fmt.Fprintf(out, "%d deleted %s. Bring one back with: contactbridge restore ID\n",
		len(trash), plural(len(trash), "contact", "contacts"))
	return nil
}

func runRestore(ctx context.Context, out, errOut io.Writer, o *options, ids []string) error {
	s, err := openFromFlags(ctx, o)
	if err != nil {
		return err
	}
	defer s.Close()
	restored := 0
	for _, id := range ids {
		if err := s.hub.Restore(ctx, id); err != nil {
			fmt.Fprintf(errOut, "%v\n", err)
			continue
		}
		restored++
		fmt.Fprintf(out, "Restored %s to the hub\n", id)
	}
	if restored > 0 {
		fmt.Fprintln(out, "Run `contactbridge sync` to put it back in every account.")
	}
	if restored < len(ids) {
		return &exitError{code: exitPartial, err: fmt.Errorf("restore: %d of %d could not be restored", len(ids)-restored, len(ids))}
	}
	return nil
}
