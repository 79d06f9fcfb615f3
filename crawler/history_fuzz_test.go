package crawler

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadHistory reads arbitrary files as a previous crawl's output: it
// must never panic, and what it keeps must be usable by a crawl (a
// normalized URL per key, no negative generation).
func FuzzLoadHistory(f *testing.F) {
	f.Add([]byte(`{"url":"http://h.example/","status":304,"links":["http://h.example/a"],"etag":"\"x\"","generation":2}` + "\n"))
	f.Add([]byte(`{"url":"http://h.example/","status":301,"final_url":"http://h.example/b","change":"gone"}` + "\n{}\n"))
	f.Add([]byte("{\"url\":\"\"}\n{\"url\":\"mailto:a@b\"}\n"))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "prev.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := LoadHistory(p)
		if err != nil {
			return
		}
		if h.Generation() < 0 {
			t.Errorf("generation %d", h.Generation())
		}
		for _, key := range h.keys {
			pr, err := h.prior(t.Context(), key)
			if err != nil || pr == nil || pr.URL == "" {
				t.Errorf("key %q has no usable record (%v)", key, err)
			}
		}
	})
}
