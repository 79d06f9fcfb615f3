//go:build unix

package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// usageOf reads a finished child's CPU time and peak resident set size from
// its rusage (which also covers the descendants it waited for).
func usageOf(ps *os.ProcessState) usage {
	u := usage{user: ps.UserTime(), sys: ps.SystemTime()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		u.maxRSS = maxRSSBytes(int64(ru.Maxrss))
	}
	return u
}

// maxRSSBytes converts ru_maxrss to bytes: it is in bytes on Darwin and in
// KiB elsewhere (Linux, the BSDs).
func maxRSSBytes(v int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return v
	}
	return v * 1024
}

// selfCPU is the CPU time this process (the in-process server) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfMaxRSS is the peak resident set size in bytes of this process's
// own memory (0 when unknown): VmHWM from /proc/self/status where there is
// one; else ru_maxrss, which also counts the memory of the parent at the
// fork that made this process.
func selfMaxRSS() int64 {
	if n := procPeakRSS("self"); n > 0 {
		return n
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return maxRSSBytes(int64(ru.Maxrss))
}

// procPeakRSS is VmHWM, the peak resident set size in bytes of the memory
// of process pid ("self" or a number) since its last exec, from
// /proc/PID/status; 0 when there is no such file or line.
func procPeakRSS(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		v, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
