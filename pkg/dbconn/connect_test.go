package dbconn

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestConnectErrorsAreMarked: an error while opening a connection (a
// server refusing the login with an error packet, as RDS Proxy's
// read/write endpoint does in front of a secondary cluster; a closed port)
// reaches the store as a *ConnectError that still unwraps to its cause.
func TestConnectErrorsAreMarked(t *testing.T) {
	refusing := refusingServer(t, 9001, "The target group doesn't have any associated read/write instances")
	for _, tt := range []struct {
		name       string
		addr       string
		wantNumber uint16 // the server error's number, 0 when none
	}{
		{"login refused with a server error", refusing, 9001},
		{"nothing listening", "127.0.0.1:" + strconv.Itoa(closedPort(t)), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := localPools(t, tt.addr)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := p.Writer.PingContext(ctx)
			var ce *ConnectError
			if !errors.As(err, &ce) || !ce.ConnectFailed() {
				t.Fatalf("ping: got %T %v, want a *ConnectError", err, err)
			}
			var me *mysql.MySQLError
			if got := errors.As(err, &me); got != (tt.wantNumber != 0) || (got && me.Number != tt.wantNumber) {
				t.Errorf("ping: server error %v, want number %d", me, tt.wantNumber)
			}
		})
	}
}

// TestConnectErrorLeavesContextErrors: a connection given up on because the
// caller's context ended is the caller's deadline, not a refusing server.
func TestConnectErrorLeavesContextErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never greets
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := localPools(t, ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = p.Writer.PingContext(ctx)
	var ce *ConnectError
	if err == nil || errors.As(err, &ce) {
		t.Errorf("ping past the deadline: got %T %v, want the context's error unmarked", err, err)
	}
}

// localPools opens local-mode pools with the defaults for an app user at addr.
func localPools(tb testing.TB, addr string) *Pools {
	tb.Helper()
	c, err := FromEnv(func(name string) string {
		if name == EnvDSN {
			return "app:pw@tcp(" + addr + ")/todomgmt"
		}
		return ""
	})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Open(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// refusingServer answers every connection with a MySQL error packet
// instead of the initial handshake and returns its address.
func refusingServer(tb testing.TB, number uint16, message string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	var p []byte
	p = append(p, 0xff)                             // ERR packet
	p = binary.LittleEndian.AppendUint16(p, number) // error code
	p = append(p, message...)                       // no SQL state before the handshake
	packet := append([]byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0}, p...)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Write(packet)
			conn.Close()
		}
	}()
	return ln.Addr().String()
}
