//go:build !unix

package main

import (
	"os"
	"time"
)

// usageOf reads a finished child's CPU time; peak memory is unknown on this
// system (0).
func usageOf(ps *os.ProcessState) usage {
	return usage{user: ps.UserTime(), sys: ps.SystemTime()}
}

// selfCPU is unknown on this system (0).
func selfCPU() time.Duration { return 0 }

// selfMaxRSS is unknown on this system (0).
func selfMaxRSS() int64 { return 0 }

// procPeakRSS is unknown on this system (0).
func procPeakRSS(string) int64 { return 0 }
