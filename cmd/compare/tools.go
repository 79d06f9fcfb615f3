package main

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// tool is a crawler to compare: a name and a command template, split into
// fields, whose first field is the program.
type tool struct {
	name string
	argv []string
}

// vars are the values of a template's placeholders for one run.
type vars struct {
	url         string
	depth       int
	concurrency int
	dir         string // fresh temporary directory of the run
}

var (
	toolName    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)
	placeholder = regexp.MustCompile(`\{[a-z]+\}`)
	known       = []string{"{url}", "{depth}", "{concurrency}", "{out}", "{dir}"}
)

// defaultTools are crawl (the binary crawlBin) and wget2, in that order.
func defaultTools(crawlBin string) []tool {
	return []tool{
		{"crawl", []string{crawlBin, "--seed", "{url}", "--depth", "{depth}", "--concurrency", "{concurrency}",
			"--per-host", "{concurrency}", "--out", "{out}", "--quiet", "--log-level", "warn"}},
		// Not --spider: it sends HEAD and then GET for every page.
		{"wget2", []string{"wget2", "-r", "-l", "{depth}", "--max-threads={concurrency}", "--delete-after", "-q", "-P", "{dir}", "{url}"}},
	}
}

// parseTool parses NAME=TEMPLATE. The template is split on white space
// (no shell quoting) and must use {url}; other placeholders are optional.
func parseTool(s string) (tool, error) {
	name, tmpl, ok := strings.Cut(s, "=")
	if !ok {
		return tool{}, fmt.Errorf("%q: want NAME=TEMPLATE", s)
	}
	if !toolName.MatchString(name) {
		return tool{}, fmt.Errorf("tool name %q: want letters, digits, '.', '_' or '-' (at most 32)", name)
	}
	argv := strings.Fields(tmpl)
	if len(argv) == 0 {
		return tool{}, fmt.Errorf("tool %s: empty command", name)
	}
	hasURL := false
	for _, f := range argv {
		for _, p := range placeholder.FindAllString(f, -1) {
			if !slices.Contains(known, p) {
				return tool{}, fmt.Errorf("tool %s: unknown placeholder %s (known: %s)", name, p, strings.Join(known, " "))
			}
			hasURL = hasURL || p == "{url}"
		}
	}
	if !hasURL {
		return tool{}, fmt.Errorf("tool %s: the template does not use {url}", name)
	}
	return tool{name, argv}, nil
}

// expand fills the placeholders of t's template.
func (t tool) expand(v vars) []string {
	r := strings.NewReplacer(
		"{url}", v.url,
		"{depth}", strconv.Itoa(v.depth),
		"{concurrency}", strconv.Itoa(v.concurrency),
		"{out}", filepath.Join(v.dir, "out"),
		"{dir}", v.dir,
	)
	out := make([]string, len(t.argv))
	for i, f := range t.argv {
		out[i] = r.Replace(f)
	}
	return out
}

// resolveTools picks the tools to run, in order: --only's order, or crawl,
// wget2 (skipped with a note when it is not on PATH) and every --tool. A
// --tool named crawl or wget2 replaces that template. Every program is
// looked up on PATH; one that is missing is a bad command line.
func resolveTools(o options, stderr io.Writer) ([]tool, error) {
	all := defaultTools(o.crawl)
	overridden := map[string]bool{}
	for _, t := range o.tools {
		if i := slices.IndexFunc(all, func(u tool) bool { return u.name == t.name }); i >= 0 {
			all[i], overridden[t.name] = t, true
			continue
		}
		all = append(all, t)
	}
	var picked []tool
	if len(o.only) == 0 {
		for _, t := range all {
			if t.name == "wget2" && !overridden[t.name] {
				if _, err := exec.LookPath(t.argv[0]); err != nil {
					fmt.Fprintln(stderr, "compare: wget2 is not on PATH: skipped")
					continue
				}
			}
			picked = append(picked, t)
		}
	}
	for _, name := range o.only {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(all, func(u tool) bool { return u.name == name })
		switch {
		case i < 0:
			return nil, usagef("--only: no tool %q", name)
		case slices.ContainsFunc(picked, func(u tool) bool { return u.name == name }):
			return nil, usagef("--only: %q given twice", name)
		}
		picked = append(picked, all[i])
	}
	for i, t := range picked {
		path, err := exec.LookPath(t.argv[0])
		if err != nil {
			return nil, usagef("tool %s: %w", t.name, err)
		}
		argv := slices.Clone(t.argv)
		argv[0] = path
		picked[i].argv = argv
	}
	return picked, nil
}

// shellLine renders argv as a command line a POSIX shell would split the
// same way, quoting the fields that need it.
func shellLine(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,+@%$") == "" {
			b.WriteString(a) // $ kept bare: the header's $RUN is meant to read as a variable
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}
