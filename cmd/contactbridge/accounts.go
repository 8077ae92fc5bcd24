package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/connectors/vdir"
	"github.com/contactbridge/contactbridge/mapping"
)

// AccountConfig is one entry of the config's accounts: an endpoint synced
// with the hub. Which keys apply depends on Type; each type's check says.
type AccountConfig struct {
	// Name identifies the account in commands, reports and logs; unique.
	Name string `yaml:"name"`
	// Type is the kind of endpoint: vdir (a folder of .vcf files),
	// carddav (an address book on a CardDAV server), google (Google
	// Contacts) or outlook (Outlook / Microsoft 365 contacts).
	Type string `yaml:"type"`
	// Schedule says when `run` syncs the account (a cron spec or
	// "@every 5m"); `sync` ignores it.
	Schedule string `yaml:"schedule,omitempty"`

	// Path is the folder of a vdir account, relative to the config file.
	Path string `yaml:"path,omitempty"`
	// Create lets a vdir account create its folder, and a carddav account
	// its address book, when it is missing; without it a missing one is an
	// error, so that a mistyped path or name is not taken for an empty
	// address book.
	Create bool `yaml:"create,omitempty"`
	// Version is the vCard version of the files a vdir account creates:
	// "4.0" (the default) or "3.0". Existing files keep theirs.
	Version string `yaml:"version,omitempty"`

	// The keys of a carddav account: see carddavSettings.
	carddavSettings `yaml:",inline"`
	// The keys google and outlook accounts share: see oauthSettings.
	oauthSettings `yaml:",inline"`
	// The keys of a google account: see googleSettings.
	googleSettings `yaml:",inline"`
	// The keys of an outlook account: see outlookSettings.
	outlookSettings `yaml:",inline"`
}

// An accountType is one kind of endpoint the config knows: how to check its
// entry and how to open a connector for it.
type accountType struct {
	check func(a AccountConfig) error
	// open returns the account's connector; in a dry run (env.dryRun) it
	// must not change anything, not even create a folder.
	open func(ctx context.Context, cfg *Config, a AccountConfig, env openEnv) (connectors.Connector, error)
	// signIn, for the types that sign in with OAuth, is what
	// `accounts connect` asks consent for (nil: the type does not).
	signIn func(cfg *Config, a AccountConfig) (signIn, error)
}

// openEnv is what opening an account may use besides its config entry.
type openEnv struct {
	dryRun bool
	// log receives the connector's logs.
	log *slog.Logger
	// engine, when set, holds what `accounts connect` stored for the
	// account (an OAuth refresh token), encrypted with the state.
	engine *bridge.Engine
}

// accountTypes lists the kinds of account by their config name. Adding a
// kind is one entry here and its two functions.
func accountTypes() map[string]accountType {
	return map[string]accountType{
		"vdir":    {check: checkVdir, open: openVdir},
		"carddav": {check: checkCardDAV, open: openCardDAV},
		"google":  {check: checkGoogle, open: openGoogle, signIn: googleSignIn},
		"outlook": {check: checkOutlook, open: openOutlook, signIn: outlookSignIn},
	}
}

func checkVdir(a AccountConfig) error {
	if err := unusedKeys(a.carddavSettings, a.oauthSettings, a.googleSettings, a.outlookSettings); err != nil {
		return fmt.Errorf("type vdir: %w", err)
	}
	if a.Path == "" {
		return errors.New("type vdir needs path (the folder of .vcf files)")
	}
	switch mapping.Version(a.Version) {
	case "", mapping.Version30, mapping.Version40:
	default:
		return fmt.Errorf("version %q: want 3.0 or 4.0", a.Version)
	}
	return nil
}

func openVdir(_ context.Context, cfg *Config, a AccountConfig, env openEnv) (connectors.Connector, error) {
	dryRun := env.dryRun
	path, err := cfg.resolve(a.Path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		switch {
		case !a.Create:
			return nil, fmt.Errorf("folder %s does not exist: fix path, or add `create: true` to the account to have it created", path)
		case dryRun:
			// The folder a real run would create is empty: plan against an
			// empty stand-in rather than create it.
			return memory.New(memory.Config{Capabilities: connectors.Capabilities{Version: mapping.Version(a.Version)}}), nil
		}
	}
	return vdir.New(vdir.Config{Path: path, Create: a.Create, Version: mapping.Version(a.Version)})
}

// A keyGroup is the config keys of one or more account types.
type keyGroup interface {
	// unused reports keys of the group that are set, for an account of a
	// type they do not belong to.
	unused() error
}

// unusedKeys returns the first error of the groups' unused: it refuses
// every key of groups that do not belong to an account's type.
func unusedKeys(groups ...keyGroup) error {
	for _, g := range groups {
		if err := g.unused(); err != nil {
			return err
		}
	}
	return nil
}

// checkAccounts checks the accounts of the config: unique non-empty names,
// known types, and each type's own keys.
func (c *Config) checkAccounts() error {
	types := accountTypes()
	seen := map[string]bool{}
	for i, a := range c.Accounts {
		if strings.TrimSpace(a.Name) == "" {
			return fmt.Errorf("accounts[%d]: name is missing", i)
		}
		if a.Name != strings.TrimSpace(a.Name) {
			return fmt.Errorf("account %q: the name has leading or trailing spaces", a.Name)
		}
		if seen[a.Name] {
			return fmt.Errorf("account %q: the name is used twice; names must be unique", a.Name)
		}
		seen[a.Name] = true
		t, ok := types[a.Type]
		if !ok {
			known := slices.Sorted(maps.Keys(types))
			if a.Type == "" {
				return fmt.Errorf("account %q: type is missing (one of %s)", a.Name, strings.Join(known, ", "))
			}
			return fmt.Errorf("account %q: unknown type %q (want one of %s)", a.Name, a.Type, strings.Join(known, ", "))
		}
		if a.Schedule != "" && strings.TrimSpace(a.Schedule) == "" {
			return fmt.Errorf("account %q: schedule is blank; remove it or give one such as \"@every 5m\"", a.Name)
		}
		if err := t.check(a); err != nil {
			return fmt.Errorf("account %q: %w", a.Name, err)
		}
	}
	return nil
}

// selectAccounts returns the accounts named, in config order, or all of
// them when names is empty. An unknown name is an error.
func (c *Config) selectAccounts(names []string) ([]AccountConfig, error) {
	if len(names) == 0 {
		return c.Accounts, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if !slices.ContainsFunc(c.Accounts, func(a AccountConfig) bool { return a.Name == n }) {
			var known []string
			for _, a := range c.Accounts {
				known = append(known, a.Name)
			}
			if len(known) == 0 {
				return nil, fmt.Errorf("no account %q: the config %s has no accounts", n, c.path)
			}
			return nil, fmt.Errorf("no account %q in %s (accounts: %s)", n, c.path, strings.Join(known, ", "))
		}
		want[n] = true
	}
	var out []AccountConfig
	for _, a := range c.Accounts {
		if want[a.Name] {
			out = append(out, a)
		}
	}
	return out, nil
}

// openAccount opens the connector of one configured account.
func (c *Config) openAccount(ctx context.Context, a AccountConfig, env openEnv) (bridge.Account, error) {
	if env.log == nil {
		env.log = slog.New(slog.DiscardHandler)
	}
	env.log = env.log.With("account", a.Name)
	conn, err := accountTypes()[a.Type].open(ctx, c, a, env)
	if err != nil {
		return bridge.Account{}, fmt.Errorf("account %s: %w", a.Name, err)
	}
	owner, err := c.owner()
	if err != nil {
		return bridge.Account{}, err
	}
	return bridge.Account{Name: a.Name, Connector: conn, Owner: owner}, nil
}
