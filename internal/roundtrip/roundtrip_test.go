package roundtrip_test

import (
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/internal/roundtrip"
)

// TestCount drives a wrapped connection through exchanges shaped like the
// MySQL protocol's and checks each count.
func TestCount(t *testing.T) {
	for _, tt := range []struct {
		name  string
		steps string // w: the client writes a packet; r: it reads one
		want  int64
	}{
		{"nothing", "", 0},
		{"greeting from the server, unasked", "r", 0},
		{"one command, one answer", "wr", 1},
		{"an answer in several reads (a result set)", "wrrrr", 1},
		{"a command in several writes", "wwwr", 1},
		{"statement close (no answer) then the next command", "wwr", 1},
		{"connect: greeting, auth, OK, then two queries", "rwrwrrwr", 3},
		{"a write that gets no answer (COM_QUIT)", "wrw", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client, server := net.Pipe()
			defer server.Close()
			var c roundtrip.Counter
			conn := c.Wrap(client)
			defer conn.Close()
			go func() {
				// The server reads what the client writes and writes what
				// it reads, in the same order.
				buf := make([]byte, 1)
				for _, step := range tt.steps {
					var err error
					if step == 'w' {
						_, err = io.ReadFull(server, buf)
					} else {
						_, err = server.Write([]byte{'x'})
					}
					if err != nil {
						return
					}
				}
			}()
			buf := make([]byte, 1)
			for _, step := range tt.steps {
				var err error
				if step == 'w' {
					_, err = conn.Write([]byte{'q'})
				} else {
					_, err = io.ReadFull(conn, buf)
				}
				if err != nil {
					t.Fatalf("step %c: %v", step, err)
				}
			}
			if got := c.Count(); got != tt.want {
				t.Errorf("steps %q: counted %d round trips, want %d", tt.steps, got, tt.want)
			}
		})
	}
}

// TestWrapKeepsSyscallConn: the driver's liveness check needs the socket
// of a TCP connection, and must not be offered one a pipe does not have.
func TestWrapKeepsSyscallConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	var c roundtrip.Counter
	tcp, err := c.Dial(t.Context(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	if sc, ok := tcp.(syscall.Conn); !ok {
		t.Error("a wrapped TCP connection is not a syscall.Conn")
	} else if _, err := sc.SyscallConn(); err != nil {
		t.Errorf("SyscallConn: %v", err)
	}
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if _, ok := c.Wrap(p).(syscall.Conn); ok {
		t.Error("a wrapped pipe claims to be a syscall.Conn")
	}
}

func TestDSN(t *testing.T) {
	var c roundtrip.Counter
	dsn, deregister, err := c.DSN("app:pw@tcp(127.0.0.1:3306)/todomgmt?parseTime=true&interpolateParams=true")
	if err != nil {
		t.Fatal(err)
	}
	defer deregister()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg.Net, "todomgmt-roundtrip-") || cfg.Addr != "127.0.0.1:3306" || cfg.User != "app" ||
		cfg.DBName != "todomgmt" || !cfg.ParseTime || !cfg.InterpolateParams {
		t.Errorf("got %+v, want the same DSN on a counting network", cfg)
	}
	if _, _, err := c.DSN("app:pw@unix(/tmp/mysql.sock)/todomgmt"); err == nil {
		t.Error("a unix-socket DSN was accepted")
	}
}
