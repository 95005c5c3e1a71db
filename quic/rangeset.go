package quic

// rangeSet is a sorted set of disjoint, non-adjacent half-open ranges
// [start, end). It backs stream reassembly, acknowledged and lost send
// ranges, received packet numbers and opened stream numbers. The slice is
// reused, so steady-state use does not allocate once it has grown to its
// working size.
type rangeSet struct {
	r []rng
}

type rng struct{ start, end uint64 }

func (s *rangeSet) len() int     { return len(s.r) }
func (s *rangeSet) empty() bool  { return len(s.r) == 0 }
func (s *rangeSet) clear()       { s.r = s.r[:0] }
func (s *rangeSet) first() rng   { return s.r[0] }
func (s *rangeSet) last() rng    { return s.r[len(s.r)-1] }
func (s *rangeSet) at(i int) rng { return s.r[i] }

// min returns the smallest element, or 0 when empty.
func (s *rangeSet) min() uint64 {
	if len(s.r) == 0 {
		return 0
	}
	return s.r[0].start
}

// add inserts [start, end), merging with overlapping and adjacent ranges.
func (s *rangeSet) add(start, end uint64) {
	if start >= end {
		return
	}
	// Fast path: append at the end (in-order data, rising packet numbers).
	n := len(s.r)
	if n == 0 || start > s.r[n-1].end {
		s.r = append(s.r, rng{start, end})
		return
	}
	if start >= s.r[n-1].start {
		if end > s.r[n-1].end {
			s.r[n-1].end = end
		}
		return
	}
	// i: first range whose end >= start (could merge).
	i := s.search(start)
	// j: first range whose start > end (cannot merge).
	j := i
	for j < n && s.r[j].start <= end {
		j++
	}
	if i == j {
		s.r = append(s.r, rng{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = rng{start, end}
		return
	}
	if s.r[i].start < start {
		start = s.r[i].start
	}
	if s.r[j-1].end > end {
		end = s.r[j-1].end
	}
	s.r[i] = rng{start, end}
	s.r = append(s.r[:i+1], s.r[j:]...)
}

// search returns the index of the first range with end >= v.
func (s *rangeSet) search(v uint64) int {
	lo, hi := 0, len(s.r)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.r[m].end < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// contains reports whether v is in the set.
func (s *rangeSet) contains(v uint64) bool {
	i := s.search(v + 1)
	return i < len(s.r) && s.r[i].start <= v && v < s.r[i].end
}

// remove deletes [start, end) from the set.
func (s *rangeSet) remove(start, end uint64) {
	if start >= end {
		return
	}
	i := s.search(start + 1)
	for i < len(s.r) && s.r[i].start < end {
		r := s.r[i]
		switch {
		case r.start >= start && r.end <= end: // fully covered
			s.r = append(s.r[:i], s.r[i+1:]...)
			continue
		case r.start < start && r.end > end: // split
			s.r = append(s.r, rng{})
			copy(s.r[i+1:], s.r[i:])
			s.r[i].end = start
			s.r[i+1].start = end
			return
		case r.start < start:
			s.r[i].end = start
		default:
			s.r[i].start = end
		}
		i++
	}
}

// removeBelow deletes everything below v.
func (s *rangeSet) removeBelow(v uint64) {
	i := 0
	for i < len(s.r) && s.r[i].end <= v {
		i++
	}
	if i > 0 {
		s.r = append(s.r[:0], s.r[i:]...)
	}
	if len(s.r) > 0 && s.r[0].start < v {
		s.r[0].start = v
	}
}

// dropFirst removes the lowest range (used to bound the set's size).
func (s *rangeSet) dropFirst() {
	if len(s.r) > 0 {
		s.r = append(s.r[:0], s.r[1:]...)
	}
}
