package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

func newContactsCommand(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contacts",
		Short: "Look at the contacts in the hub (decrypted on this machine)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newContactsListCommand(opts), newContactsShowCommand(opts))
	return cmd
}

type contactsListOptions struct {
	*options
	json bool
	all  bool
}

func newContactsListCommand(opts *options) *cobra.Command {
	o := &contactsListOptions{options: opts}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the hub's contacts: record id, name, first e-mail and phone",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runContactsList(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the list as JSON")
	cmd.Flags().BoolVar(&o.all, "all", false, "include deleted contacts (tombstones)")
	return cmd
}

// contactRow is one line of `contacts list`.
type contactRow struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Email    string    `json:"email,omitempty"`
	Tel      string    `json:"tel,omitempty"`
	Deleted  bool      `json:"deleted,omitempty"`
	Modified time.Time `json:"modified"`
}

func runContactsList(ctx context.Context, out, errOut io.Writer, o *contactsListOptions) error {
	s, err := openFromFlags(ctx, o.options)
	if err != nil {
		return err
	}
	defer s.Close()
	var rows []contactRow
	unreadable := 0
	_, err = s.hub.Read(ctx, 0, func(r bridge.HubRecord, err error) error {
		if err != nil {
			unreadable++
			fmt.Fprintf(errOut, "record %s cannot be read: %v\n", r.ID, err)
			return nil
		}
		row := contactRow{ID: r.ID, Deleted: r.Deleted, Modified: r.Modified.Time().UTC()}
		if r.Deleted {
			if o.all {
				rows = append(rows, row)
			}
			return nil
		}
		c, err := mapping.Parse([]byte(r.VCard))
		if err != nil {
			unreadable++
			fmt.Fprintf(errOut, "record %s does not parse: %v\n", r.ID, err)
			return nil
		}
		row.Name, row.Email, row.Tel = displayName(c), c.Value("EMAIL"), c.Value("TEL")
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return cannot(err)
	}
	slices.SortFunc(rows, func(a, b contactRow) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	if o.json {
		if rows == nil {
			rows = []contactRow{}
		}
		if err := writeJSON(out, rows); err != nil {
			return cannot(err)
		}
	} else {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tPHONE")
		for _, r := range rows {
			name := r.Name
			if r.Deleted {
				name = "(deleted)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, oneLine(name), oneLine(r.Email), oneLine(r.Tel))
		}
		tw.Flush()
		fmt.Fprintf(out, "%d %s\n", len(rows), plural(len(rows), "contact", "contacts"))
	}
	if unreadable > 0 {
		return &exitError{code: exitPartial, err: fmt.Errorf("contacts: %d %s could not be read (listed above)", unreadable, plural(unreadable, "record", "records"))}
	}
	return nil
}

func newContactsShowCommand(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Print one contact of the hub as a vCard",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContactsShow(cmd.Context(), cmd.OutOrStdout(), opts, args[0])
		},
	}
}

func runContactsShow(ctx context.Context, out io.Writer, o *options, id string) error {
	s, err := openFromFlags(ctx, o)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.hub.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return cannot(fmt.Errorf("contacts: no contact %s in the hub (`contactbridge contacts list` shows the ids)", id))
	case err != nil:
		return cannot(err)
	case r.Deleted:
		return cannot(fmt.Errorf("contacts: contact %s was deleted; `contactbridge restore` lists what can be restored", id))
	}
	_, err = io.WriteString(out, r.VCard)
	return err
}

// displayName is how a contact is named in lists: FN, else the N
// components, else the organisation.
func displayName(c *mapping.Card) string {
	if fn := strings.TrimSpace(c.Value("FN")); fn != "" {
		return fn
	}
	if n := c.Get("N"); n != nil {
		// N is family;given;additional;prefix;suffix: name people given first.
		comps := n.Components()
		var parts []string
		for _, i := range []int{3, 1, 2, 0, 4} {
			if i < len(comps) && strings.TrimSpace(comps[i]) != "" {
				parts = append(parts, strings.TrimSpace(comps[i]))
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " ")
		}
	}
	if org := strings.TrimSpace(c.Value("ORG")); org != "" {
		return org
	}
	return "(no name)"
}

// oneLine keeps a value on one table line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
