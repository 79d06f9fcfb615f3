package sched

import (
	"slices"
	"time"
)

// bucket is one host's queued items of one depth: how many there are and
// the backend's storage of them.
type bucket[Q any] struct {
	depth int
	n     int
	q     Q
}

// state says which index of the Scheduler a host is in, if any.
type state uint8

const (
	// stateNone: in no index. The host has no queued work, or it is at its
	// in-flight limit; the end of one of its leases places it again.
	stateNone state = iota
	// stateReady: in Scheduler.ready, ordered by due time. Its head is at
	// the current level, except after a late Push lowered the level: Ready
	// parks such hosts when it meets them.
	stateReady
	// stateParked: listed in Scheduler.parked[parkDepth], its head depth,
	// which is deeper than the current level.
	stateParked
	// stateIdle: in Scheduler.idle: nothing queued or leased, but a due
	// time still to come. It is forgotten when that time passes.
	stateIdle
)

// Host is the scheduling state of one host: its politeness (in-flight
// count, delay, due time) and the shape of its queue (a bucket per depth,
// each with the backend's storage Q of that depth's items).
type Host[Q any] struct {
	name    string
	buckets []bucket[Q] // ascending depth, none empty
	queued  int
	// inflight is the number of leases held.
	inflight int
	// delay is the minimum time between two lease starts.
	delay time.Duration
	// lastStart is when the last lease started; blocked is the end of the
	// last Retry's wait. due is max(lastStart+delay, blocked).
	lastStart, blocked, due time.Time

	state     state
	index     int    // position in the ready or idle heap
	seq       uint64 // ready-heap tie-break: first in, first served
	parkDepth int
}

// Name is the host's name, as passed to Push.
func (h *Host[Q]) Name() string { return h.name }

// Head returns the depth of the host's next item and the storage of that
// depth's items, whose first item it is. The host must have one, as the
// host Ready returns does.
func (h *Host[Q]) Head() (depth int, q *Q) {
	b := &h.buckets[0]
	return b.depth, &b.q
}

// HeadLen is how many items the bucket of Head counts.
func (h *Host[Q]) HeadLen() int { return h.buckets[0].n }

func (h *Host[Q]) refreshDue() {
	h.due = h.lastStart.Add(h.delay)
	if h.blocked.After(h.due) {
		h.due = h.blocked
	}
}

// headDepth is the depth of the next item to lease; the host must have one.
func (h *Host[Q]) headDepth() int { return h.buckets[0].depth }

// push counts one more item at depth, making its bucket if needed, and
// returns the bucket's storage and how many items it held before.
func (h *Host[Q]) push(depth int) (q *Q, n int) {
	i := len(h.buckets)
	for i > 0 && h.buckets[i-1].depth > depth {
		i--
	}
	if i == 0 || h.buckets[i-1].depth != depth {
		h.buckets = slices.Insert(h.buckets, i, bucket[Q]{depth: depth})
		i++
	}
	b := &h.buckets[i-1]
	n = b.n
	b.n++
	h.queued++
	return &b.q, n
}

// pop counts the head item out and returns its depth. A bucket that
// empties is dropped with its storage. The host must have an item.
func (h *Host[Q]) pop() (depth int) {
	b := &h.buckets[0]
	depth = b.depth
	b.n--
	if b.n == 0 {
		h.buckets = slices.Delete(h.buckets, 0, 1)
	}
	h.queued--
	return depth
}

// remove counts one item of depth out, dropping its bucket if it empties,
// and returns a copy of the bucket's storage and how many items it still
// counts; ok is false when the host has no bucket of depth.
func (h *Host[Q]) remove(depth int) (q Q, n int, ok bool) {
	i := slices.IndexFunc(h.buckets, func(b bucket[Q]) bool { return b.depth == depth })
	if i < 0 {
		return q, 0, false
	}
	b := &h.buckets[i]
	b.n--
	q, n = b.q, b.n
	if n == 0 {
		h.buckets = slices.Delete(h.buckets, i, i+1)
	}
	h.queued--
	return q, n, true
}
