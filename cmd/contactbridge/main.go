// Command contactbridge keeps a person's contacts the same on every service
// they use, through a hub of records encrypted on the client in the Firefox
// Sync format.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, as the CLI documents them.
const (
	exitOK      = 0 // everything done
	exitPartial = 1 // the run finished but some items failed
	exitCannot  = 2 // the command could not run: config, key, store, brake
)

// exitError carries the exit code a failed command should end with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// cannot marks err as "the command could not run" (exit code 2).
func cannot(err error) error { return &exitError{code: exitCannot, err: err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err))
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "contactbridge:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitCannot
}
