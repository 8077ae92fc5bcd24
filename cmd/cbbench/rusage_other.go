//go:build !unix

package main

import (
	"os"
	"time"
)

// selfTimes is unknown here: CPU columns read 0.
func selfTimes() (user, sys time.Duration) { return 0, 0 }

// childPeakRSS is unknown here.
func childPeakRSS(*os.ProcessState) int64 { return 0 }
