package redis

import goredis "github.com/redis/go-redis/v9"

// The scripts run atomically in Redis (EVALSHA, loaded on first use). Every
// key a script touches is passed in KEYS, all under the crawl's hash tag so
// a crawl is one Cluster slot; the Go side computes them, and where a key
// depends on state it reads first (the host of a lease, the host Next
// picks), the script checks that state again and answers "moved" or "not
// leasable" when it changed. All times are the Redis server's TIME, in
// milliseconds.
//
// The ready zset scores a host by its head depth and due time:
// depth*2^37 + (due - epoch), exact in a double for depths up to MaxDepth
// and due times up to 4.3 years after the crawl began. Its lowest score is
// the host to lease next: the shallowest head, the earliest due.

// prelude holds the functions the scripts share.
const prelude = `
local SHIFT = 137438953472
local function num(v) return tonumber(v) or 0 end
local function fmt(x) return string.format('%.0f', x) end
local function nowms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local cfgv -- the crawl's configuration, read once per script run
local function cfg(kmeta)
  if not cfgv then
    local c = redis.call('HMGET', kmeta, 'max', 'delay', 'epoch')
    cfgv = {num(c[1]), num(c[2]), num(c[3])}
  end
  return cfgv[1], cfgv[2], cfgv[3]
end
local function due(kh, defdelay)
  local h = redis.call('HMGET', kh, 'last', 'blocked', 'delay')
  local d = defdelay
  if h[3] then d = tonumber(h[3]) end
  return math.max(num(h[1]) + d, num(h[2]))
end
-- place puts host in ready, scored by its head depth and due time, when it
-- has queued items and a free slot, and takes it out otherwise.
local function place(kmeta, kready, kh, kd, host)
  local max, defdelay, epoch = cfg(kmeta)
  local head = redis.call('ZRANGE', kd, 0, 0)
  if #head == 0 or num(redis.call('HGET', kh, 'inflight')) >= max then
    redis.call('ZREM', kready, host)
    return
  end
  local rel = due(kh, defdelay) - epoch
  if rel < 0 then rel = 0 elseif rel >= SHIFT then rel = SHIFT - 1 end
  redis.call('ZADD', kready, fmt(tonumber(head[1]) * SHIFT + rel), host)
end
-- pend adds n to the pending count of depth; lv holds the depths whose
-- count is positive, so its lowest member is the level.
local function pend(kmeta, kpd, klv, depth, n)
  local c = redis.call('HINCRBY', kpd, depth, n)
  if c <= 0 then
    redis.call('HDEL', kpd, depth)
    redis.call('ZREM', klv, depth)
  elseif c <= n then
    redis.call('ZADD', klv, depth, depth)
  end
  redis.call('HINCRBY', kmeta, 'pending', n)
end
-- uvarint reads the unsigned varint of s at i and returns it and the index
-- after it, or nil at the end of s.
local function uvarint(s, i)
  local v, m = 0, 1
  while true do
    local b = string.byte(s, i)
    if not b then return nil, i end
    i = i + 1
    v = v + (b % 128) * m
    if b < 128 then return v, i end
    m = m * 128
  end
end
-- dedup returns the dedup key of a queued record (see codec.go): its Key,
-- or its URL when the Key is empty.
local function dedup(rec)
  local v, i = uvarint(rec, 1)
  if v and v % 2 == 1 then v, i = uvarint(rec, i) end -- a Mode, then Attempts
  if v then v, i = uvarint(rec, i) end -- Hops
  local n
  if v then n, i = uvarint(rec, i) end
  if not n then return rec end
  local url = string.sub(rec, i, i + n - 1)
  n, i = uvarint(rec, i + n)
  if not n or n == 0 then return url end
  return string.sub(rec, i, i + n - 1)
end
-- enqueue adds one item if its dedup key is unseen and returns 1 if so.
-- The seen-set's value is the depth the item was queued at, '' once it
-- is done (or in a crawl begun before depths were kept). With kmv (a
-- Complete's child), an item whose URL is queued at a greater depth is
-- queued again at its own, and the deeper copy is counted out (queued
-- and pending) and noted in kmv, to be dropped when it comes up
-- (dropMoved). Its host's depths still name its depth until then: Next
-- hands such a host, whose head may now be below the level, to the claim
-- script, which drops what it finds moved there. Breadth-first order
-- makes the move exact: the lease
-- being completed holds the level at the child's depth or one above it,
-- so a URL queued deeper has not been leased. The counters, the pending
-- counts and the places of the hosts are not updated here but added up
-- in acc, for settle to apply once per script run.
local function enqueue(acc, ks, kh, kd, kq, field, host, depth, rec, kmv, kleased)
  local old = redis.call('HGET', ks, field)
  if old then
    if not kmv or old == '' or tonumber(old) <= tonumber(depth) then return 0 end
    if redis.call('HEXISTS', kleased, dedup(rec)) == 1 then return 0 end -- in flight
    redis.call('HINCRBY', kmv, old .. ' ' .. dedup(rec), 1)
    acc.queued = acc.queued - 1
    acc.pend[old] = (acc.pend[old] or 0) - 1
  else
    acc.seen = acc.seen + 1
  end
  redis.call('HSET', ks, field, depth)
  redis.call('RPUSH', kq, rec)
  redis.call('ZADD', kd, depth, depth)
  acc.queued = acc.queued + 1
  acc.pend[depth] = (acc.pend[depth] or 0) + 1
  if not acc.hosts[host] then
    acc.hosts[host] = {kh, kd}
    acc.order[#acc.order + 1] = host
  end
  if old then return 0 end
  return 1
end
local function newAcc()
  return {queued = 0, seen = 0, done = 0, pend = {}, hosts = {}, order = {}}
end
-- touch notes a host whose place settle must repair.
local function touch(acc, host, kh, kd)
  if not acc.hosts[host] then
    acc.hosts[host] = {kh, kd}
    acc.order[#acc.order + 1] = host
  end
end
-- settle applies what enqueue and the completions added up in acc: the
-- counters, the pending counts by depth, and the places of the hosts.
local function settle(acc, kmeta, kpd, klv, kready)
  if acc.queued ~= 0 then redis.call('HINCRBY', kmeta, 'queued', acc.queued) end
  if acc.seen ~= 0 then redis.call('HINCRBY', kmeta, 'seen', acc.seen) end
  if acc.done ~= 0 then redis.call('HINCRBY', kmeta, 'done', acc.done) end
  for depth, n in pairs(acc.pend) do
    if n ~= 0 then pend(kmeta, kpd, klv, depth, n) end
  end
  for _, host in ipairs(acc.order) do
    local k = acc.hosts[host]
    place(kmeta, kready, k[1], k[2], host)
  end
end
-- lease counts the URL of rec as in flight in kleased (n = 1) or no
-- longer (n = -1): enqueue never moves a URL in flight.
local function lease(kleased, rec, n)
  local key = dedup(rec)
  if redis.call('HINCRBY', kleased, key, n) <= 0 then redis.call('HDEL', kleased, key) end
end
-- dropMoved tells whether rec, just popped from a queue of depth, is a
-- copy that enqueue moved to a shallower depth (counted out then), and if
-- so forgets it.
local function dropMoved(kmv, depth, rec)
  if redis.call('EXISTS', kmv) == 0 then return false end
  local mk = depth .. ' ' .. dedup(rec)
  if not redis.call('HGET', kmv, mk) then return false end
  if redis.call('HINCRBY', kmv, mk, -1) <= 0 then redis.call('HDEL', kmv, mk) end
  return true
end
-- split parses a stored lease: depth ":" len(host) ":" host record.
local function split(v)
  local a = string.find(v, ':', 1, true)
  local b = string.find(v, ':', a + 1, true)
  local n = tonumber(string.sub(v, a + 1, b - 1))
  return string.sub(v, 1, a - 1), string.sub(v, b + 1, b + n), string.sub(v, b + n + 1)
end
-- release ends lease id of host: the host has one lease less.
local function release(kleases, kinflight, kh, id)
  redis.call('HDEL', kinflight, id)
  redis.call('ZREM', kleases, id)
  redis.call('HINCRBY', kh, 'inflight', -1)
end
`

// openSrc creates the crawl's configuration if it is new and returns it.
// KEYS: meta. ARGV: max, delay (ms), bucket bits.
const openSrc = prelude + `
if redis.call('HEXISTS', KEYS[1], 'max') == 0 then
  redis.call('HSET', KEYS[1], 'max', ARGV[1], 'delay', ARGV[2], 'bits', ARGV[3],
    'epoch', fmt(nowms()), 'pending', 0, 'queued', 0, 'seen', 0, 'done', 0)
end
return redis.call('HMGET', KEYS[1], 'max', 'delay', 'bits', 'epoch')
`

// addSrc enqueues the unseen items and returns how many were new.
// KEYS: meta pd lv ready, then per item: seen-bucket host depths queue.
// ARGV: per item: field host depth record.
const addSrc = prelude + `
local added = 0
local acc = newAcc()
for i = 0, #ARGV / 4 - 1 do
  local k, a = 4 + 4 * i, 4 * i
  added = added + enqueue(acc, KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4],
    ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], nil, nil)
end
settle(acc, KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return added
`

// claimSrc leases up to ARGV[2] items from the hosts Next picked, in their
// order, as many from each as it allows: its head at the level, due, a
// free slot (a host with a delay is due again only after it, so it gives
// one). Copies that enqueue moved to a shallower depth are dropped on the
// way, and from a host whose head is below the level (only moved copies
// can be there) whether it is due or not. It answers {n, host index, id, record, ...} for the n items leased,
// repairing the place of every host it looked at.
// KEYS: meta lv ready leases inflight ids pd moved leased, then per host:
// host depths queue. ARGV: ttl (ms) limit, then per host: host depth.
const claimSrc = prelude + `
local level = redis.call('ZRANGE', KEYS[2], 0, 0)
local max, defdelay = cfg(KEYS[1])
local now = nowms()
local limit = tonumber(ARGV[2])
local r = {0}
for i = 0, (#ARGV - 2) / 2 - 1 do
  local k, host, depth = 9 + 3 * i, ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  local kh, kd, kq = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local score = redis.call('ZSCORE', KEYS[3], host)
  if #level == 0 or tonumber(depth) < tonumber(level[1]) then
    -- Nothing of depth is pending: what its queue holds was moved.
    local rec = redis.call('LPOP', kq)
    while rec and dropMoved(KEYS[8], depth, rec) do
      rec = redis.call('LPOP', kq)
    end
    if rec then redis.call('LPUSH', kq, rec) end -- not moved after all: left as it was
    if redis.call('LLEN', kq) == 0 then redis.call('ZREM', kd, depth) end
  elseif score and level[1] == depth and math.floor(tonumber(score) / SHIFT) == tonumber(depth) then
    while r[1] < limit and num(redis.call('HGET', kh, 'inflight')) < max and due(kh, defdelay) <= now do
      local rec = redis.call('LPOP', kq)
      while rec and dropMoved(KEYS[8], depth, rec) do
        rec = redis.call('LPOP', kq)
      end
      if not rec then break end
      redis.call('HINCRBY', kh, 'inflight', 1)
      redis.call('HSET', kh, 'last', fmt(now))
      local id = redis.call('INCR', KEYS[6])
      redis.call('HSET', KEYS[5], id, depth .. ':' .. #host .. ':' .. host .. rec)
      redis.call('ZADD', KEYS[4], fmt(now + tonumber(ARGV[1])), id)
      redis.call('HINCRBY', KEYS[1], 'queued', -1)
      lease(KEYS[9], rec, 1)
      r[1] = r[1] + 1
      r[#r + 1] = i
      r[#r + 1] = id
      r[#r + 1] = rec
    end
    if redis.call('LLEN', kq) == 0 then redis.call('ZREM', kd, depth) end
  end
  place(KEYS[1], KEYS[3], kh, kd, host)
end
return r
`

// completeSrc ends a batch of leases (those of the Complete calls that met
// in one round trip), the counters and places settled once at the end.
// For each it counts the item done, puts the URL's
// record in the worker's journal (unless it is empty) and enqueues the
// unseen children, and answers three values: {0, added, ""}, {-1, 0, ""}
// for a stale lease, or {-2, host, depth} when the lease belongs to
// another host or depth than the keys (nothing changes for it). A lease
// gone whose record is in the journal was completed by this call run
// before, its reply lost: {0, 0, ""}.
// A completed URL's seen value becomes the empty string: done, never
// moved.
// KEYS: meta pd lv ready leases inflight journal worker workers moved
// leased, then per lease: host depths seen-bucket, then its children's
// seen-bucket host depths queue. ARGV: worker-name, then per lease: id
// host depth record children-count field, then its children's field host
// depth record.
const completeSrc = prelude + `
local function put3(r, x, y, z)
  local n = #r
  r[n + 1], r[n + 2], r[n + 3] = x, y, z
end
local r = {}
local acc = newAcc()
local k, a = 11, 1
while a < #ARGV do
  local id, host, depth, rec, nc, lfield = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], tonumber(ARGV[a + 5]), ARGV[a + 6]
  local kh, kd, ks = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local ck, ca = k + 3, a + 6
  k, a = ck + 4 * nc, ca + 4 * nc
  local v = redis.call('HGET', KEYS[6], id)
  if not v then
    if rec ~= '' and redis.call('HEXISTS', KEYS[7], id) == 1 then
      put3(r, 0, 0, '')
    else
      put3(r, -1, 0, '')
    end
  else
    local d, h, lrec = split(v)
    if h ~= host or d ~= depth then
      put3(r, -2, h, d)
    else
      if rec ~= '' then
        redis.call('HSET', KEYS[7], id, rec)
        if redis.call('HSETNX', KEYS[8], 'acked', 0) == 1 then
          redis.call('HSET', KEYS[8], 'off', 0)
          redis.call('SADD', KEYS[9], ARGV[1])
        end
      end
      local added = 0
      for i = 0, nc - 1 do
        local ki, ai = ck + 4 * i, ca + 4 * i
        added = added + enqueue(acc, KEYS[ki + 1], KEYS[ki + 2], KEYS[ki + 3], KEYS[ki + 4],
          ARGV[ai + 1], ARGV[ai + 2], ARGV[ai + 3], ARGV[ai + 4], KEYS[10], KEYS[11])
      end
      lease(KEYS[11], lrec, -1)
      if redis.call('HEXISTS', ks, lfield) == 1 then redis.call('HSET', ks, lfield, '') end
      release(KEYS[5], KEYS[6], kh, id)
      acc.done = acc.done + 1
      acc.pend[depth] = (acc.pend[depth] or 0) - 1
      touch(acc, host, kh, kd)
      put3(r, 0, added, '')
    end
  end
end
settle(acc, KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return r
`

// requeueSrc ends a lease and puts its item back at the front of its
// host's queue at its depth. Retry (ARGV[4] "retry") stores the record
// passed and blocks the host for the wait; reclaim ("reclaim") stores the
// leased record, and only if the lease's deadline has passed. It answers
// {0}, {-1} for a stale lease, {-2, host, depth} as completeSrc, or {-3}
// when a lease to reclaim is not expired.
// KEYS: meta ready leases inflight host depths queue leased.
// ARGV: id host depth mode wait (ms) record.
const requeueSrc = prelude + `
local v = redis.call('HGET', KEYS[4], ARGV[1])
if not v then return {-1} end
local depth, host, rec = split(v)
local lrec = rec
if host ~= ARGV[2] or depth ~= ARGV[3] then return {-2, host, depth} end
local now = nowms()
if ARGV[4] == 'reclaim' then
  local deadline = redis.call('ZSCORE', KEYS[3], ARGV[1])
  if deadline and tonumber(deadline) > now then return {-3} end
  redis.call('HINCRBY', KEYS[1], 'reclaimed', 1)
else
  rec = ARGV[6]
  local until_ = now + tonumber(ARGV[5])
  if until_ > num(redis.call('HGET', KEYS[5], 'blocked')) then
    redis.call('HSET', KEYS[5], 'blocked', fmt(until_))
  end
end
release(KEYS[3], KEYS[4], KEYS[5], ARGV[1])
lease(KEYS[8], lrec, -1)
redis.call('LPUSH', KEYS[7], rec)
redis.call('ZADD', KEYS[6], depth, depth)
redis.call('HINCRBY', KEYS[1], 'queued', 1)
place(KEYS[1], KEYS[2], KEYS[5], KEYS[6], host)
return {0}
`

// extendSrc moves a held lease's deadline to now+ttl; it answers 0, or -1
// for a stale lease. KEYS: leases inflight. ARGV: id ttl (ms).
const extendSrc = prelude + `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return -1 end
redis.call('ZADD', KEYS[1], fmt(nowms() + tonumber(ARGV[2])), ARGV[1])
return 0
`

// delaySrc sets a host's delay between lease starts.
// KEYS: meta ready host depths. ARGV: host delay (ms).
const delaySrc = prelude + `
redis.call('HSET', KEYS[3], 'delay', ARGV[2])
place(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
return 0
`

// ackSrc drops the journal entries of the lease ids ARGV[3...] and
// stores the worker's output offset; acked counts the entries dropped, so
// an acknowledgement applied twice changes nothing.
// KEYS: journal worker workers. ARGV: offset worker-name id...
const ackSrc = prelude + `
local n = 0
for i = 3, #ARGV, 1000 do
  n = n + redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('HINCRBY', KEYS[2], 'acked', n)
redis.call('HSET', KEYS[2], 'off', ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 0
`

// journalSrc answers {known, offset, id, entry, id, entry...} for a
// worker. KEYS: journal worker.
const journalSrc = prelude + `
local off = redis.call('HGET', KEYS[2], 'off')
if not off then return {0, 0} end
local r = {1, num(off)}
for _, e in ipairs(redis.call('HGETALL', KEYS[1])) do r[#r + 1] = e end
return r
`

// scripts are the loaded scripts of one Frontier.
type scripts struct {
	open, add, claim, complete, requeue, extend, delay, ack, journal *goredis.Script
}

func newScripts() *scripts {
	return &scripts{
		open:     goredis.NewScript(openSrc),
		add:      goredis.NewScript(addSrc),
		claim:    goredis.NewScript(claimSrc),
		complete: goredis.NewScript(completeSrc),
		requeue:  goredis.NewScript(requeueSrc),
		extend:   goredis.NewScript(extendSrc),
		delay:    goredis.NewScript(delaySrc),
		ack:      goredis.NewScript(ackSrc),
		journal:  goredis.NewScript(journalSrc),
	}
}
