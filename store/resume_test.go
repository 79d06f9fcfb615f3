package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeCutsAndAppends: a file with committed lines, then lines that
// were never committed and a torn line, resumes at the committed offset.
func TestResumeCutsAndAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	w, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"a", "b"} {
		if err := w.Write(&Record{URL: u}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	committed := w.Offset()
	if fi, err := os.Stat(path); err != nil || fi.Size() != committed {
		t.Fatalf("after Sync the file has %v bytes (%v), Offset says %d", fi.Size(), err, committed)
	}
	if err := w.Write(&Record{URL: "uncommitted"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"url":"torn`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	w, err = Resume(path, committed)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if w.Offset() != committed {
		t.Errorf("Offset after Resume = %d, want %d", w.Offset(), committed)
	}
	if err := w.Write(&Record{URL: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := ReadFile(path, func(r *Record) error { got = append(got, r.URL); return nil }); err != nil {
		t.Fatalf("ReadFile after resume: %v", err)
	}
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("records after resume = %v, want [a b c]", got)
	}
}

func TestResumeRefuses(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.jsonl")
	if err := os.WriteFile(short, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		path   string
		offset int64
		want   string
	}{
		{"stdout", "-", 0, "must be a plain file"},
		{"gzip", filepath.Join(dir, "x.jsonl.gz"), 0, "must be a plain file"},
		{"shorter than committed", short, 100, "fewer than the 100 already committed"},
		{"missing with committed lines", filepath.Join(dir, "gone.jsonl"), 10, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Resume(tt.path, tt.offset)
			if err == nil {
				w.Close()
				t.Fatalf("Resume(%q, %d) succeeded, want an error containing %q", tt.path, tt.offset, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Resume(%q, %d) = %v, want it to contain %q", tt.path, tt.offset, err, tt.want)
			}
		})
	}
	if data, err := os.ReadFile(short); err != nil || string(data) != "{}\n" {
		t.Errorf("a refused resume changed the file: %q, %v", data, err)
	}
}

func TestResumeNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.jsonl")
	w, err := Resume(path, 0)
	if err != nil {
		t.Fatalf("Resume of a new file at 0: %v", err)
	}
	if err := w.Write(&Record{URL: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := ReadFile(path, func(*Record) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("read %d records, %v; want 1", n, err)
	}
}
