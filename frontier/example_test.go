package frontier_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crawl-dev/crawl/frontier"
)

// A depth-limited crawl of a small site: pages come out breadth-first and
// each is leased once, however many pages link to it.
func ExampleNewMemory() {
	const maxDepth = 2
	site := map[string][]string{
		"/":  {"/a", "/b"},
		"/a": {"/b", "/c"},
		"/b": {"/"},
		"/c": {"/d"},
	}
	ctx := context.Background()
	f := frontier.NewMemory(frontier.Policy{MaxInflight: 2})
	page := func(path string, depth int, parent string) frontier.Item {
		return frontier.Item{URL: "http://example.com" + path, Host: "example.com", Depth: depth, Parent: parent}
	}
	if _, err := f.Add(ctx, page("/", 0, "")); err != nil {
		fmt.Println(err)
		return
	}
	for {
		l, err := f.Next(ctx)
		if errors.Is(err, frontier.ErrDone) {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(l.Item.Depth, l.Item.URL)
		var links []frontier.Item
		if l.Item.Depth < maxDepth {
			for _, p := range site[strings.TrimPrefix(l.Item.URL, "http://example.com")] {
				links = append(links, page(p, l.Item.Depth+1, l.Item.URL))
			}
		}
		if _, err := f.Complete(ctx, l, links); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := f.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 0 http://example.com/
	// 1 http://example.com/a
	// 1 http://example.com/b
	// 2 http://example.com/c
}
