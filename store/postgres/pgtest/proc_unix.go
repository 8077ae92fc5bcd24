//go:build unix && !linux

package pgtest

import "syscall"

// sysProcAttr runs a process with cred (nil: the test's own).
func sysProcAttr(cred *credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
