package crawler

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		base     time.Duration
		limit    time.Duration
		n        int
		min, max time.Duration
	}{
		{"first", time.Second, 30 * time.Second, 1, 500 * time.Millisecond, time.Second},
		{"second doubles", time.Second, 30 * time.Second, 2, time.Second, 2 * time.Second},
		{"fourth", time.Second, 30 * time.Second, 4, 4 * time.Second, 8 * time.Second},
		{"capped", time.Second, 30 * time.Second, 20, 15 * time.Second, 30 * time.Second},
		{"huge n does not overflow", time.Second, 30 * time.Second, 1 << 30, 15 * time.Second, 30 * time.Second},
		{"base above cap", time.Minute, 10 * time.Second, 1, 5 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				got := backoff(tt.base, tt.limit, tt.n)
				if got < tt.min || got > tt.max {
					t.Fatalf("backoff(%v, %v, %d) = %v, want in [%v, %v]", tt.base, tt.limit, tt.n, got, tt.min, tt.max)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"absent", "", 0, false},
		{"seconds", "7", 7 * time.Second, true},
		{"zero", "0", 0, true},
		{"spaces", " 3 ", 3 * time.Second, true},
		{"capped seconds", "86400", time.Minute, true},
		{"overflowing seconds", "99999999999999999999", 0, false},
		{"negative", "-5", 0, false},
		{"http date", now.Add(20 * time.Second).Format(http.TimeFormat), 20 * time.Second, true},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"capped date", now.Add(time.Hour).Format(http.TimeFormat), time.Minute, true},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := retryAfter(h, now, time.Minute)
			if got != tt.want || ok != tt.ok {
				t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMediaType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"text/html; charset=utf-8", "text/html"},
		{"TEXT/HTML", "text/html"},
		{"application/pdf", "application/pdf"},
		{"text/html; charset", "text/html"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := mediaType(tt.in); got != tt.want {
			t.Errorf("mediaType(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTransientStatus(t *testing.T) {
	for code, want := range map[int]bool{200: false, 301: false, 404: false, 403: false, 408: true, 429: true, 500: true, 503: true, 599: true} {
		if got := transientStatus(code); got != want {
			t.Errorf("transientStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestCutTags(t *testing.T) {
	tests := []struct {
		body  string
		limit int
		want  string
		n     int
		cut   bool
	}{
		{"<a><b>", 5, "<a><b>", 2, false},
		{"<a><b>", 2, "<a><b>", 2, false},
		{"<a><b><c>tail", 2, "<a><b>", 2, true},
		{"x<a>y<b>z<c>", 1, "x<a>y", 1, true},
		{"no tags", 0, "no tags", 0, false},
		{"<a>", 0, "", 0, true},
	}
	for _, tt := range tests {
		got, n, cut := cutTags([]byte(tt.body), tt.limit)
		if string(got) != tt.want || n != tt.n || cut != tt.cut {
			t.Errorf("cutTags(%q, %d) = %q, %d, %v; want %q, %d, %v", tt.body, tt.limit, got, n, cut, tt.want, tt.n, tt.cut)
		}
	}
}
