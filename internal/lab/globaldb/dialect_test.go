package globaldb

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	mariaDB1011 = dialect{flavour: flavourMariaDB, version: "10.11.18-MariaDB-0+deb12u1-log"}
	mySQL80     = dialect{flavour: flavourMySQL, version: "8.0.36"}
	mySQL84     = dialect{flavour: flavourMySQL, version: "8.4.3"}
)

// TestDialectStatements pins each flavour's statements. Only MariaDB runs
// on this project's machines; the MySQL ones are checked here.
func TestDialectStatements(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  []string
		want []string
	}{
		{"mariadb fence", mariaDB1011.fence(), []string{"SET GLOBAL read_only=ON"}},
		{"mysql fence", mySQL84.fence(), []string{"SET GLOBAL super_read_only=ON"}},
		{"mariadb unfence", mariaDB1011.unfence(), []string{"SET GLOBAL read_only=OFF"}},
		{"mysql unfence", mySQL84.unfence(), []string{"SET GLOBAL super_read_only=OFF", "SET GLOBAL read_only=OFF"}},
		{"mariadb stop", mariaDB1011.stopReplication(), []string{"STOP SLAVE"}},
		{"mysql stop", mySQL84.stopReplication(), []string{"STOP REPLICA"}},
		{"mariadb stop receiving", mariaDB1011.stopReceiving(), []string{"STOP SLAVE IO_THREAD"}},
		{"mysql stop receiving", mySQL84.stopReceiving(), []string{"STOP REPLICA IO_THREAD"}},
		{"mariadb start receiving", mariaDB1011.startReceiving(), []string{"START SLAVE IO_THREAD"}},
		{"mysql start receiving", mySQL84.startReceiving(), []string{"START REPLICA IO_THREAD"}},
		{"mariadb start applying", mariaDB1011.startApplying(), []string{"START SLAVE SQL_THREAD"}},
		{"mysql start applying", mySQL84.startApplying(), []string{"START REPLICA SQL_THREAD"}},
		{"mariadb forget source", mariaDB1011.forgetSource(), []string{"STOP SLAVE", "RESET SLAVE ALL"}},
		{"mysql forget source", mySQL84.forgetSource(), []string{"STOP REPLICA", "RESET REPLICA ALL"}},
		{"mariadb reset", mariaDB1011.resetGTIDs(), []string{"RESET MASTER", "SET GLOBAL gtid_slave_pos=''"}},
		{"mysql 8.0 reset", mySQL80.resetGTIDs(), []string{"RESET MASTER"}},
		{"mysql 8.4 reset", mySQL84.resetGTIDs(), []string{"RESET BINARY LOGS AND GTIDS"}},
		{"mariadb status", []string{mariaDB1011.replicaStatus()}, []string{"SHOW SLAVE STATUS"}},
		{"mysql status", []string{mySQL84.replicaStatus()}, []string{"SHOW REPLICA STATUS"}},
		{"mariadb wait", []string{mariaDB1011.waitQuery()}, []string{"SELECT MASTER_GTID_WAIT(?, ?)"}},
		{"mysql wait", []string{mySQL84.waitQuery()}, []string{"SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDialectReplicateFrom(t *testing.T) {
	for _, tt := range []struct {
		name     string
		d        dialect
		executed string
		want     []string
	}{
		{
			name: "mariadb", d: mariaDB1011, executed: "0-1-42",
			want: []string{
				"STOP SLAVE",
				"RESET SLAVE ALL",
				"SET GLOBAL gtid_slave_pos='0-1-42'",
				"CHANGE MASTER TO MASTER_HOST='db-lab-a', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='s3cret', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
				"START SLAVE",
			},
		},
		{
			name: "mariadb fresh", d: mariaDB1011, executed: "",
			want: []string{
				"STOP SLAVE",
				"RESET SLAVE ALL",
				"SET GLOBAL gtid_slave_pos=''",
				"CHANGE MASTER TO MASTER_HOST='db-lab-a', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='s3cret', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
				"START SLAVE",
			},
		},
		{
			// The retry count is explicit: 8.4 lowered its default.
			name: "mysql 8.4", d: mySQL84, executed: "ignored",
			want: []string{
				"STOP REPLICA",
				"RESET REPLICA ALL",
				"CHANGE REPLICATION SOURCE TO SOURCE_HOST='db-lab-a', SOURCE_PORT=3306, SOURCE_USER='repl', SOURCE_PASSWORD='s3cret', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1, SOURCE_RETRY_COUNT=86400",
				"START REPLICA",
			},
		},
		{
			name: "mysql 8.0", d: mySQL80,
			want: []string{
				"STOP REPLICA",
				"RESET REPLICA ALL",
				"CHANGE REPLICATION SOURCE TO SOURCE_HOST='db-lab-a', SOURCE_PORT=3306, SOURCE_USER='repl', SOURCE_PASSWORD='s3cret', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1, SOURCE_RETRY_COUNT=86400",
				"START REPLICA",
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.d.replicateFrom("db-lab-a", "repl", "s3cret", tt.executed)
			if err != nil {
				t.Fatalf("replicateFrom: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("replicateFrom (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDialectRetryCountOnlyForMySQL: MariaDB 10.11's CHANGE MASTER has no
// retry-count option (it arrived in 12.0), so sending one would fail.
func TestDialectRetryCountOnlyForMySQL(t *testing.T) {
	for _, tt := range []struct {
		d    dialect
		want bool
	}{
		{mariaDB1011, false},
		{mySQL80, true},
		{mySQL84, true},
	} {
		stmts, err := tt.d.replicateFrom("db-lab-b", "repl", "pw", "0-2-7")
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(stmts, "; ")
		if got := strings.Contains(joined, "RETRY_COUNT"); got != tt.want {
			t.Errorf("%s %s: retry count set = %v, want %v (%s)", tt.d.flavour, tt.d.version, got, tt.want, joined)
		}
	}
}

func TestDialectRefusesUnsafeLiterals(t *testing.T) {
	for _, d := range []dialect{mariaDB1011, mySQL84} {
		if _, err := d.replicateFrom("db'; DROP DATABASE x; --", "repl", "pw", "0-1-1"); err == nil {
			t.Errorf("%s: replicateFrom accepted a quote in the host name", d.flavour)
		}
		if _, err := d.createReplicationUser("repl", "pw'"); err == nil {
			t.Errorf("%s: createReplicationUser accepted a quote in the password", d.flavour)
		}
		if _, err := d.seedPosition("0-1-1' OR '1"); err == nil {
			t.Errorf("%s: seedPosition accepted a quote", d.flavour)
		}
	}
}

func TestDialectSeedPositionAndUser(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  func() ([]string, error)
		want []string
	}{
		{"mariadb seed", func() ([]string, error) { return mariaDB1011.seedPosition("0-2-99") }, []string{"SET GLOBAL gtid_slave_pos='0-2-99'"}},
		{"mysql seed", func() ([]string, error) {
			return mySQL84.seedPosition("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-99")
		}, []string{"SET GLOBAL gtid_purged='3e11fa47-71ca-11e1-9e33-c80aa9429562:1-99'"}},
		{"user", func() ([]string, error) { return mySQL84.createReplicationUser("repl", "abc123") }, []string{
			"SET SESSION sql_log_bin=0",
			"CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'abc123'",
			"GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'",
			"SET SESSION sql_log_bin=1",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMySQLAtLeast(t *testing.T) {
	for _, tt := range []struct {
		version      string
		major, minor int
		want         bool
	}{
		{"8.4.3", 8, 4, true},
		{"8.0.36", 8, 4, false},
		{"9.1.0", 8, 4, true},
		{"8.4.0-commercial", 8, 4, true},
		{"garbage", 8, 4, false},
	} {
		if got := mysqlAtLeast(tt.version, tt.major, tt.minor); got != tt.want {
			t.Errorf("mysqlAtLeast(%q, %d, %d) = %v, want %v", tt.version, tt.major, tt.minor, got, tt.want)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		wantErr  bool
	}{
		{in: "db-lab-a", want: "'db-lab-a'"},
		{in: "0-1-10,1-2-3", want: "'0-1-10,1-2-3'"},
		{in: "3E11FA47-71CA:1-5", want: "'3E11FA47-71CA:1-5'"},
		{in: "x'; DROP TABLE todos; --", wantErr: true},
		{in: `back\slash`, wantErr: true},
	} {
		got, err := literal(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("literal(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRedact(t *testing.T) {
	got := redact("CHANGE MASTER TO MASTER_HOST='db', MASTER_PASSWORD='s3cret', MASTER_USE_GTID=slave_pos")
	if want := "CHANGE MASTER TO MASTER_HOST='db', MASTER_PASSWORD='***', MASTER_USE_GTID=slave_pos"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

func TestServerArgs(t *testing.T) {
	args := ServerArgs(2, "db-lab-b")
	for _, want := range []string{"--server-id=2", "--log-bin=binlog", "--read-only=ON", "--loose-gtid-strict-mode=ON", "--loose-gtid-mode=ON", "--loose-enforce-gtid-consistency=ON"} {
		found := false
		for _, a := range args {
			found = found || a == want
		}
		if !found {
			t.Errorf("ServerArgs(2) = %q, missing %q", args, want)
		}
	}
}
