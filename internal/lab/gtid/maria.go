// Package gtid is the arithmetic of global transaction ids that the lab's
// replication and its loss measurements need, in both servers' forms:
// MariaDB's GTID positions (domain-server-sequence lists, Maria) and
// MySQL's GTID sets (uuid:intervals, MySQLSet). It is pure, so the MySQL
// measurements are unit-tested on machines that run only MariaDB, and work
// while a server is down.
package gtid

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Maria is one MariaDB global transaction id, domain-server-sequence.
type Maria struct {
	Domain uint32
	Server uint32
	Seq    uint64
}

func (g Maria) String() string { return fmt.Sprintf("%d-%d-%d", g.Domain, g.Server, g.Seq) }

// ParseMaria parses a MariaDB GTID list such as "0-1-105,1-2-7", the
// form of @@gtid_binlog_pos, @@gtid_slave_pos and @@gtid_binlog_state.
func ParseMaria(s string) ([]Maria, error) {
	var out []Maria
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
		out = append(out, Maria{Domain: uint32(d), Server: uint32(sv), Seq: seq})
	}
	return out, nil
}

// FormatMaria renders a list in a stable order (by domain, then server).
func FormatMaria(gs []Maria) string {
	gs = append([]Maria(nil), gs...)
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

// MariaPosition merges GTID lists into a replication position: for every
// domain, the GTID with the highest sequence number. Sequence numbers grow
// monotonically within a domain under gtid_strict_mode, so the highest is
// the latest. It is used to merge @@gtid_binlog_pos with @@gtid_slave_pos:
// a former writer logged its own transactions only in its binlog, a
// re-seeded server has its position only in gtid_slave_pos.
func MariaPosition(lists ...[]Maria) []Maria {
	best := map[uint32]Maria{}
	for _, l := range lists {
		for _, g := range l {
			if b, ok := best[g.Domain]; !ok || g.Seq > b.Seq {
				best[g.Domain] = g
			}
		}
	}
	out := make([]Maria, 0, len(best))
	for _, g := range best {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Domain < out[j].Domain })
	return out
}

// MariaMissing counts the transactions of a server (position: its
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
func MariaMissing(position, otherState, otherSlavePos []Maria) int64 {
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
