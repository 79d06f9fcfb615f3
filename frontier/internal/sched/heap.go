package sched

// hostHeap is a min-heap of hosts by due time, then seq. Each host records
// its position in index.
type hostHeap[Q any] []*Host[Q]

func (q hostHeap[Q]) less(i, j int) bool {
	a, b := q[i], q[j]
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.seq < b.seq
}

func (q hostHeap[Q]) swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *hostHeap[Q]) push(h *Host[Q]) {
	h.index = len(*q)
	*q = append(*q, h)
	q.up(h.index)
}

// remove takes out the host at position i.
func (q *hostHeap[Q]) remove(i int) {
	old := *q
	n := len(old) - 1
	if i < 0 || i > n {
		return
	}
	h := old[i]
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*q = old[:n]
	if i != n {
		q.fix(i)
	}
	h.index = -1
}

// fix restores the order after the due time of the host at i changed.
func (q hostHeap[Q]) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

func (q hostHeap[Q]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q hostHeap[Q]) down(i int) bool {
	start := i
	for {
		c := 2*i + 1
		if c >= len(q) {
			break
		}
		if r := c + 1; r < len(q) && q.less(r, c) {
			c = r
		}
		if !q.less(c, i) {
			break
		}
		q.swap(i, c)
		i = c
	}
	return i > start
}
