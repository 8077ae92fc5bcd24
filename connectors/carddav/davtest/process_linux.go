package davtest

import "syscall"

// sysProcAttr has the kernel kill a server when the test process dies
// without its cleanup (killed by a timeout, say), so no server outlives it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
