package disk

// seenCache remembers dedup keys known to be in the seen-set, so that the
// links of a page that point at URLs already seen (most links: navigation,
// neighbours) are answered from memory rather than by a store read, which
// for a key that exists cannot be skipped by the Bloom filters. It holds
// only keys that are seen, so it never makes an unseen URL look seen: the
// seen-set stays exact. It is bounded: two maps of at most seenCacheSize
// keys, the older dropped when the newer fills (a key found in the older
// moves to the newer), so recently used keys stay. Used under the Disk's
// mutex.
type seenCache struct {
	cur, old map[string]struct{}
}

// seenCacheSize bounds each of the cache's two maps: with keys of ~60
// bytes, the cache holds at most ~25 MB.
const seenCacheSize = 1 << 17

// has reports whether key is known to be seen.
func (c *seenCache) has(key []byte) bool {
	if _, ok := c.cur[string(key)]; ok {
		return true
	}
	if _, ok := c.old[string(key)]; ok {
		c.put(key)
		return true
	}
	return false
}

// put remembers that key is seen.
func (c *seenCache) put(key []byte) {
	if c.cur == nil || len(c.cur) >= seenCacheSize {
		c.old, c.cur = c.cur, make(map[string]struct{}, min(seenCacheSize, 1024))
	}
	c.cur[string(key)] = struct{}{}
}

// reset forgets every key: the seen-set was cleared.
func (c *seenCache) reset() { c.cur, c.old = nil, nil }
