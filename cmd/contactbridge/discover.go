package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/connectors/carddav"
)

func newAccountsCommand(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Look at the configured accounts",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newDiscoverCommand(opts), newConnectCommand(opts))
	return cmd
}

func newDiscoverCommand(opts *options) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "discover NAME",
		Short: "List the address books a carddav account's server offers",
		Long: `discover signs in to the server of the carddav account NAME and lists its
address books: path, display name, whether it takes vCard 4.0 and whether it
offers incremental sync. The one the account's addressbook key picks is
marked with *. Nothing is written, not even a missing address book.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiscover(cmd.Context(), cmd.OutOrStdout(), opts, args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the address books as JSON")
	return cmd
}

func runDiscover(ctx context.Context, out io.Writer, o *options, name string, asJSON bool) error {
	cfg, err := loadConfigFlag(o)
	if err != nil {
		return cannot(err)
	}
	accts, err := cfg.selectAccounts([]string{name})
	if err != nil {
		return cannot(err)
	}
	a := accts[0]
	if a.Type != "carddav" {
		return cannot(fmt.Errorf("account %s is of type %s: discover lists the address books of carddav accounts", a.Name, a.Type))
	}
	c, err := carddavConfig(cfg, a, nil)
	if err != nil {
		return cannot(fmt.Errorf("account %s: %w", a.Name, err))
	}
	books, err := carddav.Discover(ctx, c)
	if err != nil {
		return cannot(fmt.Errorf("account %s: %w", a.Name, err))
	}
	if asJSON {
		if books == nil {
			books = []carddav.AddressBook{}
		}
		return writeJSON(out, books)
	}
	if len(books) == 0 {
		fmt.Fprintf(out, "%s: the server has no address book; add `create: true` to the account to have one made\n", a.Name)
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tPATH\tNAME\tVCARD 4.0\tINCREMENTAL")
	for _, b := range books {
		mark := ""
		if a.AddressBook != "" && (b.Path == a.AddressBook || b.Name == a.AddressBook) {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", mark, b.Path, b.Name, yesNo(b.VCard4), yesNo(b.SyncCollection))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
