package parser

import "testing"

func TestDedupKey(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no query", "http://x.com/a", "http://x.com/a"},
		{"sorted", "http://x.com/?b=2&a=1", "http://x.com/?a=1&b=2"},
		{"stable for repeated names", "http://x.com/?b=1&a=2&a=1", "http://x.com/?a=2&a=1&b=1"},
		{"utm dropped", "http://x.com/p?utm_source=news&x=1&utm_medium=mail", "http://x.com/p?x=1"},
		{"tracking case-insensitive", "http://x.com/p?UTM_Campaign=a&GCLID=1&FbClid=2&x", "http://x.com/p?x"},
		{"session params", "http://x.com/p?PHPSESSID=1&sid=2&jsessionid=3&y=1", "http://x.com/p?y=1"},
		{"lookalikes kept", "http://x.com/p?sidebar=1&utm=2&xsid=3", "http://x.com/p?sidebar=1&utm=2&xsid=3"},
		{"only tracking", "http://x.com/p?utm_source=a", "http://x.com/p"},
		{"empty query", "http://x.com/p?", "http://x.com/p"},
		{"empty params", "http://x.com/p?b=1&&a=2&", "http://x.com/p?a=2&b=1"},
		{"valueless params", "http://x.com/p?b&a", "http://x.com/p?a&b"},
		{"path jsessionid", "http://x.com/p;jsessionid=ABC123?x=1", "http://x.com/p?x=1"},
		{"path jsessionid case", "http://x.com/p;JSESSIONID=ABC;v=1/q", "http://x.com/p;v=1/q"},
		{"path jsessionid twice", "http://x.com/a;jsessionid=1/b;jsessionid=2", "http://x.com/a/b"},
		{"other path params kept", "http://x.com/p;v=1", "http://x.com/p;v=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DedupKey(tt.in); got != tt.want {
				t.Fatalf("DedupKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDedupKeyJoinsSpellings checks the property the crawler relies on:
// spellings of one page share a key once normalized.
func TestDedupKeyJoinsSpellings(t *testing.T) {
	spellings := []string{
		"HTTP://Example.COM:80/a/./p?b=2&a=1#x",
		"http://example.com/a/p?a=1&b=2&utm_source=feed",
		"http://example.com/a/%70?a=1&gclid=z&b=2",
		"http://example.com/a/p;jsessionid=0AF?a=%31&b=2",
	}
	var first string
	for i, s := range spellings {
		n, err := Normalize(s)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", s, err)
		}
		k := DedupKey(n)
		if i == 0 {
			first = k
			continue
		}
		if k != first {
			t.Errorf("DedupKey(Normalize(%q)) = %q, want %q", s, k, first)
		}
	}
	if first != "http://example.com/a/p?a=1&b=2" {
		t.Errorf("key = %q, want http://example.com/a/p?a=1&b=2", first)
	}
}
