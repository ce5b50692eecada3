package lab

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// mariaGTID is one MariaDB global transaction id, domain-server-sequence.
type mariaGTID struct {
	Domain uint32
	Server uint32
	Seq    uint64
}

func (g mariaGTID) String() string { return fmt.Sprintf("%d-%d-%d", g.Domain, g.Server, g.Seq) }

// parseMariaGTIDs parses a MariaDB GTID list such as "0-1-105,1-2-7", the
// form of @@gtid_binlog_pos, @@gtid_slave_pos and @@gtid_binlog_state.
func parseMariaGTIDs(s string) ([]mariaGTID, error) {
	var out []mariaGTID
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("bad MariaDB GTID %q", part)
		}
		d, err1 := strconv.ParseUint(f[0], 10, 32)
		sv, err2 := strconv.ParseUint(f[1], 10, 32)
		seq, err3 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("bad MariaDB GTID %q", part)
		}
		out = append(out, mariaGTID{Domain: uint32(d), Server: uint32(sv), Seq: seq})
	}
	return out, nil
}

// formatMariaGTIDs renders a list in a stable order (by domain, then server).
func formatMariaGTIDs(gs []mariaGTID) string {
	gs = append([]mariaGTID(nil), gs...)
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].Domain != gs[j].Domain {
			return gs[i].Domain < gs[j].Domain
		}
		return gs[i].Server < gs[j].Server
	})
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.String()
	}
	return strings.Join(parts, ",")
}

// mariaPosition merges GTID lists into a replication position: for every
// domain, the GTID with the highest sequence number. Sequence numbers grow
// monotonically within a domain under gtid_strict_mode, so the highest is
// the latest. It is used to merge @@gtid_binlog_pos with @@gtid_slave_pos:
// a former writer logged its own transactions only in its binlog, a
// re-seeded server has its position only in gtid_slave_pos.
func mariaPosition(lists ...[]mariaGTID) []mariaGTID {
	best := map[uint32]mariaGTID{}
	for _, l := range lists {
		for _, g := range l {
			if b, ok := best[g.Domain]; !ok || g.Seq > b.Seq {
				best[g.Domain] = g
			}
		}
	}
	out := make([]mariaGTID, 0, len(best))
	for _, g := range best {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Domain < out[j].Domain })
	return out
}

// mariaMissing counts the transactions of a server (position: its
// highest GTID per domain) that another server lacks. otherState is the
// other server's @@gtid_binlog_state (last GTID per domain and originating
// server) and otherSlavePos its @@gtid_slave_pos.
//
// Under gtid_strict_mode with one writer at a time (which the lab's
// fencing keeps), the sequence numbers of a domain grow by one with every
// transaction, whoever writes it, so a server's history in a domain is
// the run 1..seq. If the other server holds the server's latest GTID, it
// has the whole run. If not, the histories forked where the other server
// last applied replicated events, its gtid_slave_pos, which its own
// writes as a new writer never move: the server's transactions after that
// point are the ones the other lacks. For the old writer after an
// unplanned failover, that is exactly the transactions it committed that
// the promoted replica never received. A fork below the other's
// gtid_slave_pos (not something the lab produces) counts as 1: diverged,
// by an unknown number.
func mariaMissing(position, otherState, otherSlavePos []mariaGTID) int64 {
	var n int64
	for _, g := range position {
		has := false
		for _, o := range otherState {
			if o.Domain == g.Domain && o.Server == g.Server && o.Seq >= g.Seq {
				has = true
			}
		}
		if has {
			continue
		}
		var fork uint64
		for _, o := range otherSlavePos {
			if o.Domain == g.Domain {
				fork = o.Seq
			}
		}
		if g.Seq > fork {
			n += int64(g.Seq - fork)
		} else {
			n++
		}
	}
	return n
}

// countMySQLGTIDs counts the transactions in a MySQL GTID set such as
// "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11,uuid2:7" (tags, as in
// "uuid:tag:1-5", are skipped over like any non-numeric element).
func countMySQLGTIDs(set string) (int64, error) {
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

// gtidInterval is a closed range of MySQL GTID sequence numbers.
type gtidInterval struct{ Lo, Hi int64 }

// mysqlGTIDSet is a MySQL GTID set: for every source UUID (with its tag,
// "uuid:tag", for tagged GTIDs) sorted, disjoint, non-adjacent intervals.
// The lab does its set arithmetic in Go rather than with the server's
// GTID_SUBTRACT so that the MySQL measurements are unit-tested on
// machines that only run MariaDB, and work while a server is down.
type mysqlGTIDSet map[string][]gtidInterval

// parseMySQLGTIDSet parses a set such as "uuid:1-5:11,uuid2:7" or, with
// tags, "uuid:1-5:tag:1-3" (the tag applies to the intervals after it).
// Whitespace (SHOW REPLICA STATUS wraps long sets) is ignored.
func parseMySQLGTIDSet(s string) (mysqlGTIDSet, error) {
	out := mysqlGTIDSet{}
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
			out[key] = append(out[key], gtidInterval{a, b})
		}
	}
	for k, ivs := range out {
		out[k] = mergeIntervals(ivs)
	}
	return out, nil
}

// mergeIntervals sorts intervals and merges overlapping or adjacent ones.
func mergeIntervals(ivs []gtidInterval) []gtidInterval {
	ivs = append([]gtidInterval(nil), ivs...)
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Lo < ivs[j].Lo })
	var out []gtidInterval
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.Lo <= out[n-1].Hi+1 {
			out[n-1].Hi = max(out[n-1].Hi, iv.Hi)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// union returns every GTID in s or o.
func (s mysqlGTIDSet) union(o mysqlGTIDSet) mysqlGTIDSet {
	out := mysqlGTIDSet{}
	for _, set := range []mysqlGTIDSet{s, o} {
		for k, ivs := range set {
			out[k] = append(out[k], ivs...)
		}
	}
	for k, ivs := range out {
		out[k] = mergeIntervals(ivs)
	}
	return out
}

// subtract returns the GTIDs of s that o lacks, like GTID_SUBTRACT(s, o).
func (s mysqlGTIDSet) subtract(o mysqlGTIDSet) mysqlGTIDSet {
	out := mysqlGTIDSet{}
	for k, ivs := range s {
		var rest []gtidInterval
		for _, iv := range ivs {
			pieces := []gtidInterval{iv}
			for _, cut := range o[k] {
				var next []gtidInterval
				for _, p := range pieces {
					if cut.Hi < p.Lo || cut.Lo > p.Hi {
						next = append(next, p)
						continue
					}
					if p.Lo < cut.Lo {
						next = append(next, gtidInterval{p.Lo, cut.Lo - 1})
					}
					if p.Hi > cut.Hi {
						next = append(next, gtidInterval{cut.Hi + 1, p.Hi})
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

// count returns the number of GTIDs in the set.
func (s mysqlGTIDSet) count() int64 {
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
func (s mysqlGTIDSet) String() string {
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
