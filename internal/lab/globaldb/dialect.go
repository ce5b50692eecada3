package globaldb

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the replication statements, in both dialects. MariaDB
// 10.11 keeps the MASTER/SLAVE vocabulary and its own GTIDs
// (domain-server-sequence, gtid_strict_mode); MySQL 8.4 has UUID-based GTID
// sets, SOURCE/REPLICA statements and super_read_only. MySQL 8.0.23 or
// later is needed for CHANGE REPLICATION SOURCE.

// flavour is the kind of MySQL-compatible server: the replication
// statements and GTID variables differ.
type flavour string

const (
	flavourMariaDB flavour = "mariadb"
	flavourMySQL   flavour = "mysql"
)

// ServerArgs are the mysqld arguments of every lab server. Options one
// flavour does not know are given with the loose- prefix, which both
// flavours accept and ignore when unknown, so the same container command
// works before the flavour is known. Every server starts read-only and
// without replication threads: a server that (re)starts never takes writes
// until the lab promotes it, which is the fence that keeps one writer.
func ServerArgs(serverID uint32, alias string) []string {
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

// sourceRetryCount is how often a MySQL replica retries its connection to
// the source, SOURCE_CONNECT_RETRY (1 s) apart, before its IO thread gives
// up: a day. Set explicitly because MySQL's default is not stable across
// versions (86400 in 8.0; 8.4 lowered it to 10, which would stop a replica
// whose source restarts for more than ten seconds). MariaDB 10.11's CHANGE
// MASTER has no such option; its --master-retry-count server option
// defaults to 100000.
const sourceRetryCount = 86400

// dialect holds the replication statements of one server flavour and
// version. Its methods only build SQL, so both flavours' statements are
// checked by unit tests, including the MySQL ones that this project's
// machines (MariaDB only) never run.
type dialect struct {
	flavour flavour
	version string
}

func (d dialect) mariaDB() bool { return d.flavour == flavourMariaDB }

// createReplicationUser creates the replication user locally, without
// writing it to the binlog (every server gets its own copy). It turns
// binary logging back on at the end: the session goes back to root's pool.
func (d dialect) createReplicationUser(user, password string) ([]string, error) {
	q, err := literals(user, password)
	if err != nil {
		return nil, err
	}
	u, p := q[0], q[1]
	return []string{
		"SET SESSION sql_log_bin=0",
		"CREATE USER IF NOT EXISTS " + u + "@'%' IDENTIFIED BY " + p,
		"GRANT REPLICATION SLAVE ON *.* TO " + u + "@'%'",
		"SET SESSION sql_log_bin=1",
	}, nil
}

// resetGTIDs forgets the server's binlog and GTID history.
func (d dialect) resetGTIDs() []string {
	switch {
	case d.mariaDB():
		return []string{"RESET MASTER", "SET GLOBAL gtid_slave_pos=''"}
	case mysqlAtLeast(d.version, 8, 4):
		return []string{"RESET BINARY LOGS AND GTIDS"}
	default:
		return []string{"RESET MASTER"}
	}
}

// fence makes the server refuse writes from the application: read_only
// (and super_read_only on MySQL, so not even root writes). Replication
// still applies.
func (d dialect) fence() []string {
	if d.mariaDB() {
		return []string{"SET GLOBAL read_only=ON"}
	}
	return []string{"SET GLOBAL super_read_only=ON"}
}

// unfence makes the server writable.
func (d dialect) unfence() []string {
	if d.mariaDB() {
		return []string{"SET GLOBAL read_only=OFF"}
	}
	return []string{"SET GLOBAL super_read_only=OFF", "SET GLOBAL read_only=OFF"}
}

// stopReplication stops both replication threads.
func (d dialect) stopReplication() []string {
	if d.mariaDB() {
		return []string{"STOP SLAVE"}
	}
	return []string{"STOP REPLICA"}
}

// stopReceiving stops the IO thread only.
func (d dialect) stopReceiving() []string {
	if d.mariaDB() {
		return []string{"STOP SLAVE IO_THREAD"}
	}
	return []string{"STOP REPLICA IO_THREAD"}
}

// startReceiving starts the IO thread only (after stopReceiving).
func (d dialect) startReceiving() []string {
	if d.mariaDB() {
		return []string{"START SLAVE IO_THREAD"}
	}
	return []string{"START REPLICA IO_THREAD"}
}

// startApplying starts the SQL thread only.
func (d dialect) startApplying() []string {
	if d.mariaDB() {
		return []string{"START SLAVE SQL_THREAD"}
	}
	return []string{"START REPLICA SQL_THREAD"}
}

// forgetSource stops replication and removes the source configuration.
// It discards the relay log: whatever was received and not yet applied.
func (d dialect) forgetSource() []string {
	if d.mariaDB() {
		return []string{"STOP SLAVE", "RESET SLAVE ALL"}
	}
	return []string{"STOP REPLICA", "RESET REPLICA ALL"}
}

// replicaStatus is the statement that shows the replica's threads.
func (d dialect) replicaStatus() string {
	if d.mariaDB() {
		return "SHOW SLAVE STATUS"
	}
	return "SHOW REPLICA STATUS"
}

// replicateFrom makes the server a replica of host and starts the
// threads. executed is the server's own executed position; MariaDB starts
// from it (MySQL's auto-positioning finds it by itself).
func (d dialect) replicateFrom(host, user, password, executed string) ([]string, error) {
	q, err := literals(host, user, password)
	if err != nil {
		return nil, err
	}
	h, u, p := q[0], q[1], q[2]
	if d.mariaDB() {
		// slave_pos, set explicitly to everything this server has
		// executed: a former writer's own transactions are only in its
		// binlog, and MASTER_GTID_WAIT compares against gtid_slave_pos.
		pos, err := literal(executed)
		if err != nil {
			return nil, err
		}
		return []string{
			"STOP SLAVE",
			"RESET SLAVE ALL",
			"SET GLOBAL gtid_slave_pos=" + pos,
			"CHANGE MASTER TO MASTER_HOST=" + h + ", MASTER_PORT=3306, MASTER_USER=" + u +
				", MASTER_PASSWORD=" + p + ", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
			"START SLAVE",
		}, nil
	}
	return []string{
		"STOP REPLICA",
		"RESET REPLICA ALL",
		"CHANGE REPLICATION SOURCE TO SOURCE_HOST=" + h + ", SOURCE_PORT=3306, SOURCE_USER=" + u +
			", SOURCE_PASSWORD=" + p + ", SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1" +
			", SOURCE_CONNECT_RETRY=1, SOURCE_RETRY_COUNT=" + strconv.Itoa(sourceRetryCount),
		"START REPLICA",
	}, nil
}

// seedPosition records pos as already executed on a server whose GTID
// history was just reset (a re-seeded copy).
func (d dialect) seedPosition(pos string) ([]string, error) {
	q, err := literal(pos)
	if err != nil {
		return nil, err
	}
	if d.mariaDB() {
		return []string{"SET GLOBAL gtid_slave_pos=" + q}, nil
	}
	return []string{"SET GLOBAL gtid_purged=" + q}, nil
}

// waitQuery is the query that waits, with two placeholders (position,
// seconds), until the server has applied a position, and the value it
// returns when it got there (0 on both; -1 or 1 on timeout).
func (d dialect) waitQuery() string {
	if d.mariaDB() {
		return "SELECT MASTER_GTID_WAIT(?, ?)"
	}
	return "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)"
}

// redact hides passwords in a statement that goes into an error.
func redact(stmt string) string {
	for _, kw := range []string{"MASTER_PASSWORD='", "SOURCE_PASSWORD='", "IDENTIFIED BY '"} {
		if i := strings.Index(stmt, kw); i >= 0 {
			j := strings.Index(stmt[i+len(kw):], "'")
			if j >= 0 {
				stmt = stmt[:i+len(kw)] + "***" + stmt[i+len(kw)+j:]
			}
		}
	}
	return stmt
}

// literal quotes s as an SQL string literal. The lab only puts host names,
// user names, generated passwords and GTID positions into statements that
// take no placeholders (CHANGE MASTER, CREATE USER, SET GLOBAL), and
// refuses any other character.
func literal(s string) (string, error) {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,:", r)) {
			return "", fmt.Errorf("refusing %q in an SQL literal", s)
		}
	}
	return "'" + s + "'", nil
}

// literals quotes each of ss with literal.
func literals(ss ...string) ([]string, error) {
	out := make([]string, len(ss))
	for i, s := range ss {
		q, err := literal(s)
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	return out, nil
}
