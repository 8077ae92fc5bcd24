package main

import (
	"bytes"
	"os"
	"strconv"
)

// resetPeak resets the kernel's record of this process's peak RSS
// (VmHWM), so that peakRSS reports the peak of one phase, not of the run
// so far. Writing "5" to clear_refs does that since Linux 4.0; where it
// fails, peakRSS reports the peak since the process started.
func resetPeak() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns the peak RSS in bytes since the last resetPeak, from
// VmHWM in /proc/self/status, or 0 when it cannot be read.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "1960", "kB"
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
