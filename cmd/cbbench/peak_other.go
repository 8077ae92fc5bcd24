//go:build !linux

package main

// resetPeak cannot reset the peak RSS here.
func resetPeak() {}

// peakRSS is unknown here: the column reads 0.
func peakRSS() int64 { return 0 }
