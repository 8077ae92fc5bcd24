package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/contactbridge/contactbridge/bridge"
)

// A signIn is how an account type signs in with OAuth: the client to
// ask consent for, the flow, and how the refresh token is kept in the
// account's encrypted state.
type signIn struct {
	conf oauth2.Config
	// secret names the refresh token in the account's state.
	secret string
	extra  []oauth2.AuthCodeOption
	// deviceCode signs in with the device-code flow (RFC 8628): a code
	// entered in a browser on any device, instead of a browser on this
	// machine answering on 127.0.0.1.
	deviceCode bool
	// save, when set, keeps the refresh token instead of storing it as it
	// is under secret.
	save func(ctx context.Context, e *bridge.Engine, refresh string) error
}

func newConnectCommand(opts *options) *cobra.Command {
	noBrowser := false
	cmd := &cobra.Command{
		Use:   "connect NAME",
		Short: "Sign in to an account that uses OAuth, once",
		Long: `connect signs the account NAME in and keeps the refresh token it gets
encrypted in the account's state — never in a file in plaintext. Run it
again to sign in anew (after a password change, or when the provider
revoked access).

A google account: connect prints Google's consent address (and opens it
in a browser when it can) and waits for the answer on 127.0.0.1.

An outlook account: connect prints an address and a code to enter there,
in a browser on any device, and waits until the sign-in is done (device
code flow; the code is valid for 15 minutes).

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
	var tok *oauth2.Token
	if si.deviceCode {
		tok, err = deviceCodeConsent(ctx, &si.conf, out)
	} else {
		tok, err = loopbackConsent(ctx, si.conf, out, open, si.extra...)
	}
	if err != nil {
		return cannot(fmt.Errorf("account %s: %w", a.Name, err))
	}
	save := si.save
	if save == nil {
		save = func(ctx context.Context, e *bridge.Engine, refresh string) error {
			return e.SetSecret(ctx, a.Name, si.secret, refresh)
		}
	}
	if err := save(ctx, s.engine, tok.RefreshToken); err != nil {
		return cannot(err)
	}
	fmt.Fprintf(out, "%s: signed in; the refresh token is kept encrypted in the account's state.\n", a.Name)
	return nil
}
