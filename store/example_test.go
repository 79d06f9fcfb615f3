package store_test

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/crawl-dev/crawl/store"
)

func Example() {
	var out bytes.Buffer // Open("-", os.Stdout) or Open("crawl.jsonl.gz", nil) in a real crawl
	w := store.NewWriter(&out)
	at := time.Date(2025, 11, 22, 9, 30, 0, 0, time.UTC)
	records := []*store.Record{
		{URL: "https://example.com/", FinalURL: "https://example.com/", Status: 200, ContentType: "text/html",
			Title: "Example <Domain>", Links: []string{"https://example.com/about"}, Bytes: 1256,
			DurationMS: 41.5, FetchedAt: at, Attempts: 1},
		{URL: "https://example.com/about", FinalURL: "https://example.com/about", Depth: 1,
			Parent: "https://example.com/", DurationMS: 3000, FetchedAt: at, Attempts: 3,
			Error: "fetch https://example.com/about: timeout"},
	}
	for _, r := range records {
		if err := w.Write(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Print(out.String())

	err := store.Read(&out, func(r *store.Record) error {
		fmt.Printf("%s status=%d links=%d error=%q\n", r.URL, r.Status, len(r.Links), r.Error)
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	// Output:
	// {"url":"https://example.com/","final_url":"https://example.com/","status":200,"depth":0,"parent":"","content_type":"text/html","title":"Example <Domain>","links":["https://example.com/about"],"bytes":1256,"duration_ms":41.5,"fetched_at":"2025-11-22T09:30:00Z","attempts":1}
	// {"url":"https://example.com/about","final_url":"https://example.com/about","status":0,"depth":1,"parent":"https://example.com/","content_type":"","title":"","links":[],"bytes":0,"duration_ms":3000,"fetched_at":"2025-11-22T09:30:00Z","attempts":3,"error":"fetch https://example.com/about: timeout"}
	// https://example.com/ status=200 links=1 error=""
	// https://example.com/about status=0 links=0 error="fetch https://example.com/about: timeout"
}
