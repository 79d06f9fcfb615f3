package main

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine is what `uname -m` prints, or GOARCH when it cannot run.
func machine(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "uname", "-m").Output()
	if s := strings.TrimSpace(string(out)); err == nil && s != "" {
		return s
	}
	return runtime.GOARCH
}

// loadAverage is the 1, 5 and 15 minute load average from /proc/loadavg,
// or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
