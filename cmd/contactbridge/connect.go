package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// A signIn is how an account type signs in with OAuth: the client to
// ask consent for, and the name under which the refresh token is kept in
// the account's encrypted state.
type signIn struct {
	conf   oauth2.Config
	secret string
	extra  []oauth2.AuthCodeOption
}

func newConnectCommand(opts *options) *cobra.Command {
	noBrowser := false
	cmd := &cobra.Command{
		Use:   "connect NAME",
		Short: "Sign in to an account that uses OAuth, once",
		Long: `connect signs the account NAME in: it prints the provider's consent
address (and opens it in a browser when it can), waits for the answer on
127.0.0.1, and keeps the refresh token it gets encrypted in the account's
state — never in a file in plaintext. Run it again to sign in anew (after a
password change, or when the provider revoked access).

Accounts that take a refresh_token_file need no connect.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			open := openBrowser
			if noBrowser {
				open = nil
			}
			return runConnect(cmd.Context(), cmd.OutOrStdout(), opts, args[0], open)
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "only print the consent address")
	return cmd
}

func runConnect(ctx context.Context, out io.Writer, o *options, name string, open func(string) error) error {
	cfg, err := loadConfigFlag(o)
	if err != nil {
		return cannot(err)
	}
	sel, err := cfg.selectAccounts([]string{name})
	if err != nil {
		return cannot(err)
	}
	a := sel[0]
	t := accountTypes()[a.Type]
	if t.signIn == nil {
		return cannot(fmt.Errorf("account %s: type %s signs in without OAuth: nothing to connect", a.Name, a.Type))
	}
	si, err := t.signIn(cfg, a)
	if err != nil {
		return cannot(fmt.Errorf("account %s: %w", a.Name, err))
	}
	s, err := openSession(ctx, cfg, nil)
	if err != nil {
		return cannot(err)
	}
	defer s.Close()
	tok, err := loopbackConsent(ctx, si.conf, out, open, si.extra...)
	if err != nil {
		return cannot(fmt.Errorf("account %s: %w", a.Name, err))
	}
	if err := s.engine.SetSecret(ctx, a.Name, si.secret, tok.RefreshToken); err != nil {
		return cannot(err)
	}
	fmt.Fprintf(out, "%s: signed in; the refresh token is kept encrypted in the account's state.\n", a.Name)
	return nil
}
