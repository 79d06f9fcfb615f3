package testserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"
)

// condRequest runs one request with the given header fields through the
// handler.
func condRequest(s *Site, method, path string, fields ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.Host = ServedHost
	for i := 0; i+1 < len(fields); i += 2 {
		req.Header.Add(fields[i], fields[i+1])
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// pageOfClass returns a normal page (not "/", served identity) of a
// validator class.
func pageOfClass(t *testing.T, s *Site, c validatorClass) *node {
	t.Helper()
	for _, n := range s.nodes[1:s.cfg.Pages] {
		if n.vclass == c && n.kind == kindPage && n.enc == encIdentity {
			return n
		}
	}
	t.Fatalf("no page of validator class %d", c)
	return nil
}

func TestConditionalRequests(t *testing.T) {
	s := New(Config{Pages: 400, Features: AllFeatures | Encoded, Seed: 9})
	strong := pageOfClass(t, s, valStrong)
	weak := pageOfClass(t, s, valWeak)
	none := pageOfClass(t, s, valNone)
	modOnly := pageOfClass(t, s, valModified)
	var gz *node // a strong-ETag page served gzip
	for _, n := range s.nodes[1:s.cfg.Pages] {
		if n.vclass == valStrong && n.enc == encGzip {
			gz = n
			break
		}
	}
	if gz == nil {
		t.Fatal("no gzip page with a strong ETag")
	}
	var file *node
	for _, n := range s.nodes {
		if n.kind == kindFile && n.vclass == valStrong {
			file = n
			break
		}
	}
	if file == nil {
		t.Fatal("no file with a strong ETag")
	}
	etag := func(n *node, gzip bool) string { return s.validatorsOf(n, gzip).etag }
	lm := func(n *node) string { return s.validatorsOf(n, false).lastModified() }
	lmTime := s.validatorsOf(strong, false).modified
	before := lmTime.Add(-time.Second).Format(http.TimeFormat)
	later := lmTime.Add(time.Hour).Format(http.TimeFormat)
	inSameSecond := lmTime.Add(999 * time.Millisecond).Format(time.RFC850) // another HTTP-date format

	tests := []struct {
		name   string
		method string
		path   string
		fields []string
		want   int
	}{
		{"no precondition", "GET", strong.path, nil, 200},
		{"strong match", "GET", strong.path, []string{"If-None-Match", etag(strong, false)}, 304},
		{"strong mismatch", "GET", strong.path, []string{"If-None-Match", `"other"`}, 200},
		{"weak form of a strong tag matches (weak comparison)", "GET", strong.path, []string{"If-None-Match", "W/" + etag(strong, false)}, 304},
		{"list with a match", "GET", strong.path, []string{"If-None-Match", `"a", W/"b" ,` + etag(strong, false) + `, "c"`}, 304},
		{"list in two fields", "GET", strong.path, []string{"If-None-Match", `"a"`, "If-None-Match", etag(strong, false)}, 304},
		{"list without a match", "GET", strong.path, []string{"If-None-Match", `"a", "b"`}, 200},
		{"malformed member ends the list", "GET", strong.path, []string{"If-None-Match", `"a", bogus, ` + etag(strong, false)}, 200},
		{"star", "GET", strong.path, []string{"If-None-Match", "*"}, 304},
		{"star without validators", "GET", none.path, []string{"If-None-Match", "*"}, 304},
		{"If-None-Match overrides If-Modified-Since", "GET", strong.path,
			[]string{"If-None-Match", `"other"`, "If-Modified-Since", later}, 200},
		{"If-None-Match match with an old If-Modified-Since", "GET", strong.path,
			[]string{"If-None-Match", etag(strong, false), "If-Modified-Since", before}, 304},
		{"empty If-None-Match is absent", "GET", strong.path, []string{"If-None-Match", "", "If-Modified-Since", later}, 304},
		{"modified since: equal", "GET", strong.path, []string{"If-Modified-Since", lm(strong)}, 304},
		{"modified since: later", "GET", strong.path, []string{"If-Modified-Since", later}, 304},
		{"modified since: same second", "GET", strong.path, []string{"If-Modified-Since", inSameSecond}, 304},
		{"modified since: earlier", "GET", strong.path, []string{"If-Modified-Since", before}, 200},
		{"bad date ignored", "GET", strong.path, []string{"If-Modified-Since", "yesterday"}, 200},
		{"two dates ignored", "GET", strong.path, []string{"If-Modified-Since", later, "If-Modified-Since", later}, 200},
		{"HEAD match", "HEAD", strong.path, []string{"If-None-Match", etag(strong, false)}, 304},
		{"HEAD modified since", "HEAD", strong.path, []string{"If-Modified-Since", later}, 304},
		{"weak tag, weak form", "GET", weak.path, []string{"If-None-Match", etag(weak, false)}, 304},
		{"weak tag, strong form", "GET", weak.path, []string{"If-None-Match", opaque(etag(weak, false))}, 304},
		{"no validators: modified since", "GET", none.path, []string{"If-Modified-Since", later}, 200},
		{"no validators: a tag", "GET", none.path, []string{"If-None-Match", etag(strong, false)}, 200},
		{"Last-Modified only: modified since", "GET", modOnly.path, []string{"If-Modified-Since", later}, 304},
		{"Last-Modified only: any tag fails, date ignored", "GET", modOnly.path,
			[]string{"If-None-Match", `"x"`, "If-Modified-Since", later}, 200},
		{"file match", "GET", file.path, []string{"If-None-Match", etag(file, false)}, 304},
		{"gzip tag, gzip sent", "GET", gz.path, []string{"Accept-Encoding", "gzip", "If-None-Match", etag(gz, true)}, 304},
		{"gzip tag, identity sent", "GET", gz.path, []string{"If-None-Match", etag(gz, true)}, 200},
		{"identity tag, gzip sent", "GET", gz.path, []string{"Accept-Encoding", "gzip", "If-None-Match", etag(gz, false)}, 200},
		{"identity tag, identity sent", "GET", gz.path, []string{"If-None-Match", etag(gz, false)}, 304},
		{"error page never 304", "GET", "/missing/0", []string{"If-None-Match", "*", "If-Modified-Since", later}, 404},
		{"redirect never 304", "GET", "/r/0", []string{"If-None-Match", "*", "If-Modified-Since", later}, s.byPath["/r/0"].status},
		{"robots.txt as before", "GET", "/robots.txt", []string{"If-None-Match", "*", "If-Modified-Since", later}, 200},
		{"unknown path", "GET", "/nowhere", []string{"If-None-Match", "*"}, 404},
		{"POST not allowed", "POST", strong.path, []string{"If-None-Match", "*"}, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := condRequest(s, tt.method, tt.path, tt.fields...)
			if rec.Code != tt.want {
				t.Fatalf("%s %s %q = %d, want %d", tt.method, tt.path, tt.fields, rec.Code, tt.want)
			}
			if rec.Code != 304 {
				return
			}
			// The 304 has the 200's validators and Vary, and no body.
			full := condRequest(s, tt.method, tt.path, tt.fields[:0]...)
			if ae := headerIn(tt.fields, "Accept-Encoding"); ae != "" {
				full = condRequest(s, tt.method, tt.path, "Accept-Encoding", ae)
			}
			for _, f := range []string{"Etag", "Last-Modified", "Vary"} {
				if g, w := rec.Header().Get(f), full.Header().Get(f); g != w {
					t.Errorf("304 %s = %q, the 200 sends %q", f, g, w)
				}
			}
			for _, f := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
				if v := rec.Header().Get(f); v != "" {
					t.Errorf("304 has %s %q", f, v)
				}
			}
			if rec.Body.Len() != 0 {
				t.Errorf("304 has a body of %d bytes", rec.Body.Len())
			}
		})
	}
}

func headerIn(fields []string, name string) string {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == name {
			return fields[i+1]
		}
	}
	return ""
}

// TestValidatorsAcrossGenerations checks the two dishonest classes and the
// honest ones on a page that changes in step 1.
func TestValidatorsAcrossGenerations(t *testing.T) {
	cfg := Config{Pages: 3000, Seed: 5}
	s0 := New(cfg)
	cfg.Generation = 1
	s1 := New(cfg)
	// changedOf and keptOf find a page of class c that step 1 changes or
	// leaves alone.
	find := func(c validatorClass, changed bool) (n0, n1 *node) {
		for i := 1; i < cfg.Pages; i++ {
			a, b := s0.nodes[i], s1.nodes[i]
			if a.vclass == c && b.kind == kindPage && (b.revision == 1) == changed {
				return a, b
			}
		}
		t.Fatalf("no page of class %d with changed=%v", c, changed)
		return nil, nil
	}
	fields := func(s *Site, n *node) []string {
		v := s.validatorsOf(n, false)
		var f []string
		if v.etag != "" {
			f = append(f, "If-None-Match", v.etag)
		}
		if lm := v.lastModified(); lm != "" {
			f = append(f, "If-Modified-Since", lm)
		}
		return f
	}
	only := func(f []string, name string) []string { return []string{name, headerIn(f, name)} }
	tests := []struct {
		name    string
		class   validatorClass
		changed bool
		send    func([]string) []string // which of the old validators to send
		want    int
	}{
		{"strong, unchanged", valStrong, false, nil, 304},
		{"strong, changed", valStrong, true, nil, 200},
		{"strong, changed, date only", valStrong, true, func(f []string) []string { return only(f, "If-Modified-Since") }, 200},
		{"weak, unchanged", valWeak, false, nil, 304},
		{"weak, changed", valWeak, true, nil, 200},
		{"Last-Modified only, unchanged", valModified, false, nil, 304},
		{"Last-Modified only, changed", valModified, true, nil, 200},
		{"lying ETag, unchanged", valLying, false, nil, 200},
		{"lying ETag, unchanged, date only", valLying, false, func(f []string) []string { return only(f, "If-Modified-Since") }, 304},
		{"stuck Last-Modified, changed, both", valStuck, true, nil, 200},
		{"stuck Last-Modified, changed, date only", valStuck, true, func(f []string) []string { return only(f, "If-Modified-Since") }, 304},
		{"stuck Last-Modified, unchanged", valStuck, false, nil, 304},
		{"no validators, unchanged", valNone, false, nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n0, n1 := find(tt.class, tt.changed)
			f := fields(s0, n0)
			if tt.send != nil {
				f = tt.send(f)
			}
			rec := condRequest(s1, "GET", n1.path, f...)
			if rec.Code != tt.want {
				t.Fatalf("generation 1 GET %s %q = %d, want %d", n1.path, f, rec.Code, tt.want)
			}
			same := string(s0.Decoded(n0.path)) == string(s1.Decoded(n1.path))
			if same == tt.changed {
				t.Errorf("%s: body the same in both generations = %v, want %v", n1.path, same, !tt.changed)
			}
		})
	}
}

func TestNotModifiedLoggedAndDelayed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const latency = 200 * time.Millisecond
		s := New(Config{Pages: 50, Latency: latency})
		n := pageOfClass(t, s, valStrong)
		start := time.Now()
		rec := condRequest(s, "GET", n.path, "If-None-Match", s.validatorsOf(n, false).etag)
		if rec.Code != 304 || time.Since(start) != latency {
			t.Errorf("GET %s: %d after %v, want 304 after %v", n.path, rec.Code, time.Since(start), latency)
		}
		log := s.Log()
		if len(log) != 1 || log[0].Status != 304 || log[0].Bytes != 0 || log[0].Path != n.path {
			t.Errorf("log = %+v, want one 304 of %s without bytes", log, n.path)
		}
		if got := s.Requests()[n.path]; got != 1 {
			t.Errorf("Requests()[%s] = %d, want 1", n.path, got)
		}
	})
}
