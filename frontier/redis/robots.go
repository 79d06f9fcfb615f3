package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/crawl-dev/crawl/frontier"
)

var _ frontier.RobotsStore = (*Frontier)(nil)

// Stored robots.txt values start with one byte saying what they hold.
const (
	robotsAllowAll = 'A' // the server answered 4xx: everything is allowed
	robotsFile     = 'F' // the file follows
)

func (k keys) robots(origin string) string      { return k.prefix + "r:" + origin }
func (k keys) robotsClaim(origin string) string { return k.prefix + "rc:" + origin }

// Robots returns the robots.txt of origin stored by any process of the
// crawl.
func (f *Frontier) Robots(ctx context.Context, origin string) ([]byte, bool, error) {
	v, err := f.c.Get(ctx, f.keys.robots(origin)).Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("get robots.txt of %s: %w", origin, err)
	case len(v) == 0 || (v[0] != robotsAllowAll && v[0] != robotsFile):
		return nil, false, fmt.Errorf("get robots.txt of %s: %w: stored value of %d bytes", origin, errRecord, len(v))
	case v[0] == robotsAllowAll:
		return nil, true, nil
	}
	return v[1:], true, nil
}

// ClaimRobots reserves the fetch of origin's robots.txt for ttl (SET NX).
func (f *Frontier) ClaimRobots(ctx context.Context, origin string, ttl time.Duration) (bool, error) {
	ok, err := f.c.SetNX(ctx, f.keys.robotsClaim(origin), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("claim robots.txt of %s: %w", origin, err)
	}
	return ok, nil
}

// StoreRobots stores origin's robots.txt for ttl and ends the reservation.
func (f *Frontier) StoreRobots(ctx context.Context, origin string, body []byte, ttl time.Duration) error {
	v := []byte{robotsAllowAll}
	if body != nil {
		v = append(make([]byte, 0, len(body)+1), robotsFile)
		v = append(v, body...)
	}
	_, err := f.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Set(ctx, f.keys.robots(origin), v, ttl)
		p.Del(ctx, f.keys.robotsClaim(origin))
		return nil
	})
	if err != nil {
		return fmt.Errorf("store robots.txt of %s: %w", origin, err)
	}
	return nil
}
