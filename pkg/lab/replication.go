package lab

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds the replication statements, in both dialects. MariaDB
// 10.11 keeps the MASTER/SLAVE vocabulary and its own GTIDs
// (domain-server-sequence, gtid_strict_mode); MySQL 8.4 has UUID-based GTID
// sets, SOURCE/REPLICA statements and super_read_only. MySQL 8.0.23 or
// later is needed for CHANGE REPLICATION SOURCE.

// serverArgs are the mysqld arguments of every lab server. Options one
// flavour does not know are given with the loose- prefix, which both
// flavours accept and ignore when unknown, so the same container command
// works before the flavour is known. Every server starts read-only and
// without replication threads: a server that (re)starts never takes writes
// until the lab promotes it, which is the fence that keeps one writer.
func serverArgs(serverID uint32, alias string) []string {
	return []string{
		"--server-id=" + strconv.FormatUint(uint64(serverID), 10),
		"--log-bin=binlog",
		"--relay-log=relay-bin",
		"--binlog-format=ROW",
		"--read-only=ON",
		"--loose-report-host=" + alias,
		// MariaDB
		"--loose-log-slave-updates=ON",
		"--loose-gtid-strict-mode=ON",
		"--loose-skip-slave-start",
		// MySQL
		"--loose-gtid-mode=ON",
		"--loose-enforce-gtid-consistency=ON",
		"--loose-log-replica-updates=ON",
		"--loose-skip-replica-start=ON",
	}
}

// mysqlAtLeast reports whether a MySQL version string ("8.4.3") is at
// least major.minor.
func mysqlAtLeast(version string, major, minor int) bool {
	f := strings.SplitN(version, ".", 3)
	if len(f) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(f[0])
	mi, err2 := strconv.Atoi(strings.TrimLeftFunc(f[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// createReplicationUser creates the replication user locally, without
// writing it to the binlog (every server gets its own copy).
func (n *node) createReplicationUser(ctx context.Context, user, password string) error {
	q, err := literals(user, password)
	if err != nil {
		return err
	}
	u, p := q[0], q[1]
	return n.exec(ctx,
		"SET SESSION sql_log_bin=0",
		"CREATE USER IF NOT EXISTS "+u+"@'%' IDENTIFIED BY "+p,
		"GRANT REPLICATION SLAVE ON *.* TO "+u+"@'%'",
	)
}

// resetGTIDs forgets the server's binlog and GTID history. Only for a
// fresh server, or one about to be re-seeded.
func (n *node) resetGTIDs(ctx context.Context) error {
	f, v, err := n.Flavour(ctx)
	if err != nil {
		return err
	}
	switch {
	case f == flavourMariaDB:
		return n.exec(ctx, "RESET MASTER", "SET GLOBAL gtid_slave_pos=''")
	case mysqlAtLeast(v, 8, 4):
		return n.exec(ctx, "RESET BINARY LOGS AND GTIDS")
	default:
		return n.exec(ctx, "RESET MASTER")
	}
}

// execFor runs the statements for the server's flavour: mariadb on
// MariaDB, mysql on MySQL, whose replication statements differ.
func (n *node) execFor(ctx context.Context, mariadb, mysql []string) error {
	f, _, err := n.Flavour(ctx)
	if err != nil {
		return err
	}
	if f == flavourMariaDB {
		return n.exec(ctx, mariadb...)
	}
	return n.exec(ctx, mysql...)
}

// fence makes the server refuse writes from the application: read_only
// (and super_read_only on MySQL, so not even root writes). Replication
// still applies. Statements that are running finish first.
func (n *node) fence(ctx context.Context) error {
	return n.execFor(ctx, []string{"SET GLOBAL read_only=ON"}, []string{"SET GLOBAL super_read_only=ON"})
}

// unfence makes the server writable.
func (n *node) unfence(ctx context.Context) error {
	return n.execFor(ctx, []string{"SET GLOBAL read_only=OFF"}, []string{"SET GLOBAL super_read_only=OFF", "SET GLOBAL read_only=OFF"})
}

// stopReplication stops both replication threads (a no-op when none run).
func (n *node) stopReplication(ctx context.Context) error {
	return n.execFor(ctx, []string{"STOP SLAVE"}, []string{"STOP REPLICA"})
}

// stopReceiving stops the IO thread only: nothing more arrives from the
// source, and the SQL thread goes on applying what has arrived.
func (n *node) stopReceiving(ctx context.Context) error {
	return n.execFor(ctx, []string{"STOP SLAVE IO_THREAD"}, []string{"STOP REPLICA IO_THREAD"})
}

// forgetSource stops replication and removes the source configuration, so
// the server is a standalone server again.
func (n *node) forgetSource(ctx context.Context) error {
	return n.execFor(ctx, []string{"STOP SLAVE", "RESET SLAVE ALL"}, []string{"STOP REPLICA", "RESET REPLICA ALL"})
}

// replicateFrom makes the server a replica of source, starting where the
// server's own GTID history ends, and starts the threads. The server must
// not have transactions source lacks (see Database.Rebuild).
func (n *node) replicateFrom(ctx context.Context, source *node, user, password string) error {
	f, _, err := n.Flavour(ctx)
	if err != nil {
		return err
	}
	q, err := literals(source.alias, user, password)
	if err != nil {
		return err
	}
	host, u, p := q[0], q[1], q[2]
	if f == flavourMariaDB {
		st, err := n.State(ctx)
		if err != nil {
			return err
		}
		// slave_pos, set explicitly to everything this server has
		// executed: a former writer's own transactions are only in its
		// binlog, and MASTER_GTID_WAIT compares against gtid_slave_pos.
		pos, err := literal(st.Position)
		if err != nil {
			return err
		}
		return n.exec(ctx,
			"STOP SLAVE",
			"RESET SLAVE ALL",
			"SET GLOBAL gtid_slave_pos="+pos,
			"CHANGE MASTER TO MASTER_HOST="+host+", MASTER_PORT=3306, MASTER_USER="+u+
				", MASTER_PASSWORD="+p+", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
			"START SLAVE",
		)
	}
	return n.exec(ctx,
		"STOP REPLICA",
		"RESET REPLICA ALL",
		"CHANGE REPLICATION SOURCE TO SOURCE_HOST="+host+", SOURCE_PORT=3306, SOURCE_USER="+u+
			", SOURCE_PASSWORD="+p+", SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1",
		"START REPLICA",
	)
}

// minGTIDWait is the shortest timeout waitPosition gives the server: a
// GTID wait must never get 0 or less, which means "no timeout" to
// WAIT_FOR_EXECUTED_GTID_SET (0) and MASTER_GTID_WAIT (negative), and
// is an error for WAIT_FOR_EXECUTED_GTID_SET (negative). A caller's
// remaining time (waitCaughtUp's) can be either.
const minGTIDWait = time.Millisecond

// waitPosition waits up to timeout until the server has applied pos (a
// position or GTID set read from another server). It returns whether it
// got there and how long that took, measured around the server's own wait
// function (MASTER_GTID_WAIT or WAIT_FOR_EXECUTED_GTID_SET).
func (n *node) waitPosition(ctx context.Context, pos string, timeout time.Duration) (bool, time.Duration, error) {
	f, _, err := n.Flavour(ctx)
	if err != nil {
		return false, 0, err
	}
	timeout = max(timeout, minGTIDWait)
	secs := timeout.Seconds()
	wctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	start := time.Now()
	var res sql.NullInt64
	if f == flavourMariaDB {
		// 0: reached, -1: timed out.
		err = n.Admin().QueryRowContext(wctx, "SELECT MASTER_GTID_WAIT(?, ?)", pos, secs).Scan(&res)
	} else {
		// 0: reached, 1: timed out.
		err = n.Admin().QueryRowContext(wctx, "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)", pos, secs).Scan(&res)
	}
	took := time.Since(start)
	if err != nil {
		return false, took, fmt.Errorf("%s: wait for GTID %s: %w", n.alias, pos, err)
	}
	return res.Valid && res.Int64 == 0, took, nil
}

// missing counts the transactions in st (one server's state) that other
// (another server's state) lacks: for an old writer, the transactions
// the new writer never received.
func (n *node) missing(ctx context.Context, st, other serverState) (int64, string, error) {
	if st.Flavour == flavourMariaDB {
		cnt := mariaMissing(st.PositionGTIDs, other.BinlogState, other.SlavePos)
		return cnt, st.Position, nil
	}
	var diff string
	if err := n.Admin().QueryRowContext(ctx, "SELECT GTID_SUBTRACT(?, ?)", st.Position, other.Position).Scan(&diff); err != nil {
		return 0, "", fmt.Errorf("%s: GTID_SUBTRACT: %w", n.alias, err)
	}
	cnt, err := countMySQLGTIDs(diff)
	return cnt, strings.Join(strings.Fields(diff), ""), err
}
