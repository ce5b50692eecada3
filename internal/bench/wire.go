package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/internal/roundtrip"
)

// A wire is a network registered with the MySQL driver whose connections
// count their round trips (internal/roundtrip) and record, from the bytes
// they carry, every statement the client sends (COM_QUERY) with the head of
// the server's answer. The statements are what the store sent, byte for
// byte: with interpolateParams=true (pkg/dbconn) a statement with
// arguments goes out as one text query with the arguments in it, and
// START TRANSACTION, COMMIT and ROLLBACK are text queries too. It works on plaintext
// connections only (local mode: the warm benchmark's pools).
type wire struct {
	name     string
	counter  roundtrip.Counter
	mu       sync.Mutex
	recorded []*statement // since the last mark
	dials    int64
	bad      error // the first command that cannot be replayed
}

// statement is one COM_QUERY and the head of its answer.
type statement struct {
	query string
	head  head
}

// head is the first packet of the server's answer to a statement: OK (with
// the rows affected and the last insert id), an error (with its number), or
// a result set.
type head struct {
	kind     headKind
	affected uint64
	insertID uint64
	errNo    uint16
}

type headKind int

const (
	headNone headKind = iota // no answer read (yet)
	headOK
	headErr
	headRows
)

func (h head) String() string {
	switch h.kind {
	case headOK:
		return fmt.Sprintf("OK (%d rows affected, insert id %d)", h.affected, h.insertID)
	case headErr:
		return fmt.Sprintf("error %d", h.errNo)
	case headRows:
		return "a result set"
	}
	return "no answer"
}

// MySQL command bytes (the first byte of a command packet).
const (
	comQuit  = 0x01
	comQuery = 0x03
)

// wireSeq numbers the networks registered with the driver.
var wireSeq atomic.Int64

// newWire registers a counting, recording network with the driver and
// returns dsn rewritten to use it (same address, everything else kept).
// Call close to deregister it.
func newWire(dsn string) (*wire, string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("bench: %w", err)
	}
	if cfg.Net != "tcp" {
		return nil, "", fmt.Errorf("bench: the DSN's network is %q, want tcp", cfg.Net)
	}
	if cfg.TLS != nil {
		return nil, "", fmt.Errorf("bench: statements can be recorded on plaintext connections only")
	}
	w := &wire{name: fmt.Sprintf("todomgmt-bench-%d", wireSeq.Add(1))}
	mysql.RegisterDialContext(w.name, w.dial)
	cfg.Net = w.name
	return w, cfg.FormatDSN(), nil
}

func (w *wire) close() { mysql.DeregisterDialContext(w.name) }

func (w *wire) dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetKeepAlive(true) // as the driver does for its own TCP connections
	}
	w.mu.Lock()
	w.dials++
	w.mu.Unlock()
	rc := &recordingConn{Conn: nc, w: w}
	if sc, ok := nc.(syscall.Conn); ok {
		// The driver checks an idle connection's liveness through the
		// socket (a non-blocking read): keep it reachable.
		return w.counter.Wrap(&sysRecordingConn{recordingConn: rc, sc: sc}), nil
	}
	return w.counter.Wrap(rc), nil
}

// mark is a point in a wire's traffic.
type mark struct {
	rt, dials int64
}

// mark starts a new record: what was recorded before it is forgotten (so a
// long run does not keep every statement it sent). Marks do not nest.
func (w *wire) mark() mark {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.recorded = nil
	return mark{rt: w.counter.Count(), dials: w.dials}
}

// since returns what happened on the wire after m: the round trips, the
// connections dialled, and the statements with their answers.
func (w *wire) since(m mark) (rt, dials int64, stmts []statement, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.recorded {
		if s.head.kind == headNone {
			return 0, 0, nil, fmt.Errorf("bench: %q got no answer", s.query)
		}
		stmts = append(stmts, *s)
	}
	return w.counter.Count() - m.rt, w.dials - m.dials, stmts, w.bad
}

// recordingConn frames the packets a connection carries. A command is a
// client packet with sequence number 0 (the login's packets have others);
// the first server packet after a COM_QUERY is the head of its answer.
type recordingConn struct {
	net.Conn
	w *wire
	// The client's and the server's bytes of a packet not yet complete.
	out, in []byte
	// pending is the statement whose answer's head has not been read
	// yet, nil when none; guarded by w.mu.
	pending *statement
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out = append(c.out, p[:n]...)
	rest := c.out
	for {
		payload, seq, next, ok := nextPacket(rest)
		if !ok {
			break
		}
		if seq == 0 && len(payload) > 0 {
			c.command(payload)
		}
		rest = next
	}
	c.out = compact(c.out, rest)
	return n, err
}

func (c *recordingConn) command(payload []byte) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	switch payload[0] {
	case comQuery:
		c.pending = &statement{query: string(payload[1:])}
		c.w.recorded = append(c.w.recorded, c.pending)
	case comQuit:
	default:
		// A prepared statement, a ping, a change of schema: nothing the
		// store sends with interpolateParams=true, and nothing a replay of
		// text statements could reproduce.
		if c.w.bad == nil {
			c.w.bad = fmt.Errorf("bench: the client sent command 0x%02x, which the floor cannot replay", payload[0])
		}
	}
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in = append(c.in, p[:n]...)
	rest := c.in
	for {
		payload, _, next, ok := nextPacket(rest)
		if !ok {
			break
		}
		c.w.mu.Lock()
		if c.pending != nil {
			c.pending.head = parseHead(payload)
			c.pending = nil
		}
		c.w.mu.Unlock()
		rest = next
	}
	c.in = compact(c.in, rest)
	return n, err
}

// compact moves the unframed bytes rest, a tail of buf, to buf's start and
// returns them: the buffer is reused, not grown, across packets.
func compact(buf, rest []byte) []byte {
	return buf[:copy(buf, rest)]
}

// nextPacket splits the first complete MySQL packet off b: 3 bytes of
// length, 1 byte of sequence number, the payload. (A payload of 2^24-1
// bytes continues in the next packet; the store's statements are far
// smaller, and such a continuation would only be framed as its own packet.)
func nextPacket(b []byte) (payload []byte, seq byte, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, 0, b, false
	}
	n := int(b[0]) | int(b[1])<<8 | int(b[2])<<16
	if len(b) < 4+n {
		return nil, 0, b, false
	}
	return b[4 : 4+n], b[3], b[4+n:], true
}

// parseHead reads the first packet of an answer to COM_QUERY.
func parseHead(p []byte) head {
	if len(p) == 0 {
		return head{kind: headRows}
	}
	switch p[0] {
	case 0x00:
		h := head{kind: headOK}
		var n int
		h.affected, n = lenEnc(p[1:])
		h.insertID, _ = lenEnc(p[1+n:])
		return h
	case 0xff:
		h := head{kind: headErr}
		if len(p) >= 3 {
			h.errNo = binary.LittleEndian.Uint16(p[1:3])
		}
		return h
	}
	return head{kind: headRows}
}

// lenEnc decodes a length-encoded integer and returns it with its size.
func lenEnc(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch b[0] {
	case 0xfc:
		if len(b) >= 3 {
			return uint64(binary.LittleEndian.Uint16(b[1:3])), 3
		}
	case 0xfd:
		if len(b) >= 4 {
			return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, 4
		}
	case 0xfe:
		if len(b) >= 9 {
			return binary.LittleEndian.Uint64(b[1:9]), 9
		}
	default:
		return uint64(b[0]), 1
	}
	return 0, len(b)
}

// sysRecordingConn is a recordingConn over a connection with a
// syscall.Conn.
type sysRecordingConn struct {
	*recordingConn
	sc syscall.Conn
}

func (c *sysRecordingConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }

// sameStatements reports how got differs from want: the same queries, byte
// for byte, with the same answers.
func sameStatements(want, got []statement) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d statements, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].query != want[i].query {
			return fmt.Errorf("statement %d: %q, want %q", i+1, got[i].query, want[i].query)
		}
		if got[i].head != want[i].head {
			return fmt.Errorf("statement %d (%s): answered %v, want %v", i+1, abbreviate(want[i].query), got[i].head, want[i].head)
		}
	}
	return nil
}

func abbreviate(q string) string {
	if len(q) > 60 {
		return q[:60] + "…"
	}
	return q
}
