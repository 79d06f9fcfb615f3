package crawler

import "testing"

func TestKeepRules(t *testing.T) {
	tests := []struct {
		name           string
		accept, reject []string
		mediaType      string
		path           string
		keeps, skips   bool
	}{
		{"no rules", nil, nil, "application/zip", "/a.zip", true, false},
		{"accept type", []string{"application/pdf"}, nil, "application/pdf", "/r", true, false},
		{"accept type, other type", []string{"application/pdf"}, nil, "image/png", "/r.png", false, false},
		{"accept wildcard", []string{"image/*"}, nil, "image/png", "/x", true, false},
		{"accept wildcard, other", []string{"image/*"}, nil, "application/pdf", "/x", false, false},
		{"accept ext", []string{".pdf"}, nil, "application/octet-stream", "/R.PDF", true, false},
		{"accept ext, other ext skipped", []string{".pdf"}, nil, "application/zip", "/a.zip", false, true},
		{"accept ext, page fetched", []string{".pdf"}, nil, "text/html", "/a.php", false, false},
		{"accept ext, no ext fetched", []string{".pdf"}, nil, "text/html", "/docs/", false, false},
		{"comma list", []string{"application/pdf,.zip"}, nil, "application/zip", "/a.zip", true, false},
		{"reject wins", []string{"image/*"}, []string{".gif"}, "image/gif", "/a.gif", false, true},
		{"reject type", nil, []string{"video/*"}, "video/mp4", "/v", false, false},
		{"reject, others kept", nil, []string{"video/*"}, "text/html", "/", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := parseKeepRules(tt.accept, tt.reject)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.keeps(tt.mediaType, tt.path); got != tt.keeps {
				t.Errorf("keeps(%q, %q) = %v, want %v", tt.mediaType, tt.path, got, tt.keeps)
			}
			if got := k.skipsLink(tt.path); got != tt.skips {
				t.Errorf("skipsLink(%q) = %v, want %v", tt.path, got, tt.skips)
			}
		})
	}
	for _, bad := range []string{"pdf", "*/*", "a/b/c", ".p/df", "appl ication/pdf"} {
		if _, err := parseKeepRules([]string{bad}, nil); err == nil {
			t.Errorf("parseKeepRules(%q) = nil error, want one", bad)
		}
	}
}
