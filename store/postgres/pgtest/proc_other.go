//go:build !unix

package pgtest

import "syscall"

// credential is who a process runs as: outside unix, always the test's
// own user.
type credential struct{}

func chown(string, *credential) error { return nil }

func serverAccount() (*credential, error) { return nil, nil }

func sysProcAttr(*credential) *syscall.SysProcAttr { return nil }
