//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// selfTimes returns the user and system CPU time this process has used.
func selfTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// childPeakRSS is the peak RSS of a finished child, from its rusage.
func childPeakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return maxrssBytes(ru.Maxrss)
}

// maxrssBytes converts ru_maxrss, which Darwin reports in bytes and the
// other systems in kilobytes.
func maxrssBytes(v int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return v
	}
	return v * 1024
}
