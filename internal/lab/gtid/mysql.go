package gtid

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// CountMySQL counts the transactions in a MySQL GTID set such as
// "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11,uuid2:7" (tags, as in
// "uuid:tag:1-5", are skipped over like any non-numeric element).
func CountMySQL(set string) (int64, error) {
	var n int64
	set = strings.Join(strings.Fields(set), "")
	for _, part := range strings.Split(set, ",") {
		if part == "" {
			continue
		}
		f := strings.Split(part, ":")
		if len(f) < 2 {
			return 0, fmt.Errorf("bad GTID set element %q", part)
		}
		for _, iv := range f[1:] {
			if iv == "" || (iv[0] < '0' || iv[0] > '9') {
				continue // a tag
			}
			lo, hi, ok := strings.Cut(iv, "-")
			a, err := strconv.ParseInt(lo, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bad GTID interval %q", iv)
			}
			b := a
			if ok {
				if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
					return 0, fmt.Errorf("bad GTID interval %q", iv)
				}
			}
			n += b - a + 1
		}
	}
	return n, nil
}

// Interval is a closed range of MySQL GTID sequence numbers.
type Interval struct{ Lo, Hi int64 }

// MySQLSet is a MySQL GTID set: for every source UUID (with its tag,
// "uuid:tag", for tagged GTIDs) sorted, disjoint, non-adjacent intervals.
// The lab does its set arithmetic here rather than with the server's
// GTID_SUBTRACT so that the MySQL measurements are unit-tested on
// machines that only run MariaDB, and work while a server is down.
type MySQLSet map[string][]Interval

// ParseMySQLSet parses a set such as "uuid:1-5:11,uuid2:7" or, with
// tags, "uuid:1-5:tag:1-3" (the tag applies to the intervals after it).
// Whitespace (SHOW REPLICA STATUS wraps long sets) is ignored.
func ParseMySQLSet(s string) (MySQLSet, error) {
	out := MySQLSet{}
	for _, part := range strings.Split(strings.Join(strings.Fields(s), ""), ",") {
		if part == "" {
			continue
		}
		f := strings.Split(part, ":")
		if len(f) < 2 || f[0] == "" {
			return nil, fmt.Errorf("bad GTID set element %q", part)
		}
		uuid := strings.ToLower(f[0])
		key := uuid
		for _, iv := range f[1:] {
			if iv == "" {
				return nil, fmt.Errorf("bad GTID set element %q", part)
			}
			if iv[0] < '0' || iv[0] > '9' {
				key = uuid + ":" + strings.ToLower(iv)
				continue
			}
			lo, hi, isRange := strings.Cut(iv, "-")
			a, err := strconv.ParseInt(lo, 10, 64)
			if err != nil || a < 1 {
				return nil, fmt.Errorf("bad GTID interval %q", iv)
			}
			b := a
			if isRange {
				if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
					return nil, fmt.Errorf("bad GTID interval %q", iv)
				}
			}
			out[key] = append(out[key], Interval{a, b})
		}
	}
	for k, ivs := range out {
		out[k] = mergeIntervals(ivs)
	}
	return out, nil
}

// mergeIntervals sorts intervals and merges overlapping or adjacent ones.
func mergeIntervals(ivs []Interval) []Interval {
	ivs = append([]Interval(nil), ivs...)
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Lo < ivs[j].Lo })
	var out []Interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.Lo <= out[n-1].Hi+1 {
			out[n-1].Hi = max(out[n-1].Hi, iv.Hi)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// Union returns every GTID in s or o.
func (s MySQLSet) Union(o MySQLSet) MySQLSet {
	out := MySQLSet{}
	for _, set := range []MySQLSet{s, o} {
		for k, ivs := range set {
			out[k] = append(out[k], ivs...)
		}
	}
	for k, ivs := range out {
		out[k] = mergeIntervals(ivs)
	}
	return out
}

// Subtract returns the GTIDs of s that o lacks, like GTID_SUBTRACT(s, o).
func (s MySQLSet) Subtract(o MySQLSet) MySQLSet {
	out := MySQLSet{}
	for k, ivs := range s {
		var rest []Interval
		for _, iv := range ivs {
			pieces := []Interval{iv}
			for _, cut := range o[k] {
				var next []Interval
				for _, p := range pieces {
					if cut.Hi < p.Lo || cut.Lo > p.Hi {
						next = append(next, p)
						continue
					}
					if p.Lo < cut.Lo {
						next = append(next, Interval{p.Lo, cut.Lo - 1})
					}
					if p.Hi > cut.Hi {
						next = append(next, Interval{cut.Hi + 1, p.Hi})
					}
				}
				pieces = next
			}
			rest = append(rest, pieces...)
		}
		if len(rest) > 0 {
			out[k] = mergeIntervals(rest)
		}
	}
	return out
}

// Count returns the number of GTIDs in the set.
func (s MySQLSet) Count() int64 {
	var n int64
	for _, ivs := range s {
		for _, iv := range ivs {
			n += iv.Hi - iv.Lo + 1
		}
	}
	return n
}

// String renders the set in a stable order, one element per UUID (and
// tag): "uuid:1-5:11,uuid:tag:1-3".
func (s MySQLSet) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var b strings.Builder
		b.WriteString(k)
		for _, iv := range s[k] {
			if iv.Lo == iv.Hi {
				fmt.Fprintf(&b, ":%d", iv.Lo)
			} else {
				fmt.Fprintf(&b, ":%d-%d", iv.Lo, iv.Hi)
			}
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, ",")
}
