//go:build unix

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeEnv makes the test binary act as a fake crawler (fakeTool) instead of
// running the tests: tests set it with t.Setenv, and the children they start
// through run inherit it.
const fakeEnv = "COMPARE_FAKE_TOOL"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == launchArg {
		os.Exit(launch(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv(fakeEnv) == "1" {
		os.Exit(fakeTool(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeTool is a crawler for tests: `MODE URL PATH...` GETs URL+PATH for
// each PATH in order, then
//
//	ok         exits 0
//	fail       exits 7
//	hang       waits an hour (until compare's timeout stops it)
//	stop:PID   sends SIGINT to process PID (the test) and waits an hour
func fakeTool(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "fake: want MODE URL PATH...")
		return 2
	}
	mode, base := args[0], strings.TrimSuffix(args[1], "/")
	for _, p := range args[2:] {
		resp, err := http.Get(base + "/" + strings.TrimPrefix(p, "/"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			return 1
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			return 1
		}
	}
	if pid, ok := strings.CutPrefix(mode, "stop:"); ok {
		n, err := strconv.Atoi(pid)
		if err == nil {
			err = syscall.Kill(n, syscall.SIGINT)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			return 1
		}
		mode = "hang"
	}
	switch mode {
	case "ok":
		return 0
	case "fail":
		fmt.Fprintln(os.Stderr, "fake: failing on purpose")
		return 7
	case "hang":
		time.Sleep(time.Hour) // the fake tool stands for a slow crawler; the test waits on compare, not on this
		return 0
	}
	fmt.Fprintln(os.Stderr, "fake: unknown mode", mode)
	return 2
}

// fakeTemplate is a --tool flag that runs the test binary as fakeTool.
func fakeTemplate(t *testing.T, name, mode string, paths ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(exe, " \t\n") {
		t.Skipf("test binary path %q has white space: a template cannot name it", exe)
	}
	return fmt.Sprintf("%s=%s %s {url} %s", name, exe, mode, strings.Join(paths, " "))
}
