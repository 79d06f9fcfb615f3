package redis_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
	"github.com/crawl-dev/crawl/frontier/redis"
)

// Two processes (here two Frontiers) share a crawl: each runs this loop,
// and both stop when the crawl's last URL is done. The example needs a
// Redis server, so it is compiled, not run.
func Example() {
	ctx := context.Background()
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	f, err := redis.Open(ctx, client, "crawl-42", frontier.Policy{MaxInflight: 2, Delay: time.Second},
		redis.Options{LeaseTTL: 2 * time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	if _, err := f.Add(ctx, frontier.Item{URL: "http://example.test/", Host: "example.test"}); err != nil {
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
		// Fetch l.Item.URL here, calling f.Extend(ctx, l) during a long
		// fetch; then complete it with the links found.
		if _, err := f.Complete(ctx, l, nil); err != nil && !errors.Is(err, frontier.ErrStaleLease) {
			fmt.Println(err)
			return
		}
	}
	// When every process is finished with the crawl:
	if err := redis.Delete(ctx, client, "crawl-42"); err != nil {
		fmt.Println(err)
	}
}
