package disk

import "math"

// seenCache remembers dedup keys known to be in the seen-set, with the
// depth each was queued at, so that the links of a page that point at URLs
// already seen (most links: navigation, neighbours) are answered from
// memory rather than by a store read, which for a key that exists cannot
// be skipped by the Bloom filters. It holds only keys that are seen, so it
// never makes an unseen URL look seen: the seen-set stays exact. A link
// of a smaller depth than the cached one goes to the store, which says
// whether the item still waits to be moved (add). The cache is bounded:
// two maps of at most seenCacheSize keys, the older dropped when the newer
// fills (a key found in the older moves to the newer), so recently used
// keys stay. Used under the Disk's mutex.
type seenCache struct {
	cur, old map[string]int
}

// seenCacheSize bounds each of the cache's two maps: with keys of ~60
// bytes, the cache holds at most ~25 MB.
const seenCacheSize = 1 << 17

// noPlace is the cached depth of a key whose seen value has no place (a
// state written before places): it is never moved.
const noPlace = math.MinInt

// get returns the depth key was queued at, if key is known to be seen.
func (c *seenCache) get(key []byte) (depth int, ok bool) {
	if depth, ok := c.cur[string(key)]; ok {
		return depth, true
	}
	if depth, ok := c.old[string(key)]; ok {
		c.put(key, depth)
		return depth, true
	}
	return 0, false
}

// put remembers that key is seen, queued at depth.
func (c *seenCache) put(key []byte, depth int) {
	if c.cur == nil || len(c.cur) >= seenCacheSize {
		c.old, c.cur = c.cur, make(map[string]int, min(seenCacheSize, 1024))
	}
	c.cur[string(key)] = depth
}

// reset forgets every key: the seen-set was cleared.
func (c *seenCache) reset() { c.cur, c.old = nil, nil }
