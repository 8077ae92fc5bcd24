package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// options are the flags every command shares.
type options struct {
	configPath string
}

func newRootCommand() *cobra.Command {
	opts := &options{}
	root := &cobra.Command{
		Use:   "contactbridge",
		Short: "Keep your contacts the same everywhere, through an encrypted hub",
		Long: `contactbridge keeps your contacts the same on every service you use —
CardDAV servers, Google Contacts, Outlook, folders of .vcf files — by
reconciling each of them with one hub of records encrypted on your machine
in the Firefox Sync format. Whoever holds the store cannot read a contact.

Start with 'contactbridge init', add accounts to the config, then
'contactbridge sync'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	root.PersistentFlags().StringVar(&opts.configPath, "config", "",
		"config file (default $CONTACTBRIDGE_CONFIG, else $XDG_CONFIG_HOME/contactbridge/config.yaml)")
	addProfileFlag(root)
	root.AddCommand(
		newInitCommand(opts),
		newSyncCommand(opts),
		newRunCommand(opts),
		newStatusCommand(opts),
		newContactsCommand(opts),
		newConflictsCommand(opts),
		newRestoreCommand(opts),
		newExportCommand(opts),
		newAccountsCommand(opts),
		newStorageCommand(opts),
		newVersionCommand(),
	)
	return root
}

// flagError adds a hint to an unknown-flag error: contact ids written by
// other tools, or before ids stopped beginning with '-', look like flags.
func flagError(cmd *cobra.Command, err error) error {
	if strings.Contains(err.Error(), "unknown shorthand flag") {
		return fmt.Errorf("%w (an ID that begins with '-' goes after '--': %s -- ID)", err, cmd.CommandPath())
	}
	return err
}
