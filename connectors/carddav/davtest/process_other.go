//go:build !linux

package davtest

import "syscall"

// sysProcAttr sets nothing: only Linux can tie a child's life to its
// parent's.
func sysProcAttr() *syscall.SysProcAttr { return nil }
