package pgtest

import "syscall"

// sysProcAttr runs a process with cred (nil: the test's own) and kills it
// when the test binary dies, so that a test killed by its timeout leaves no
// server behind. (Go sets the death signal after the credentials, which
// would otherwise clear it.)
func sysProcAttr(cred *credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
}
