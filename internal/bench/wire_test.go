package bench

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func packet(seq byte, payload ...byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// TestRecordingConn runs a scripted conversation through a recording
// connection: the login is not a statement, every COM_QUERY is recorded
// with the head of its answer however the bytes are split, and a command
// the floor cannot replay is reported.
func TestRecordingConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	greeting := packet(0, 10, '1', '0', 0)
	answers := [][]byte{
		packet(2, 0x00, 0, 0, 2, 0, 0, 0), // login OK
		append(append(packet(1, 1), packet(2, 3, 'd', 'e', 'f')...), packet(3, 0xfe, 0, 0, 2, 0)...), // a result set
		packet(1, 0x00, 1, 0xfc, 0x2c, 0x01, 2, 0, 0, 0),                                             // OK: 1 row, insert id 300
		packet(1, 0xff, 0x26, 0x04, '#', '2', '3', '0', '0', '0', 'd', 'u', 'p'),                     // error 1062
	}
	serverDone := make(chan error, 1)
	go func() {
		serverDone <- func() error {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			readPacket := func() ([]byte, error) {
				hdr := make([]byte, 4)
				if _, err := io.ReadFull(c, hdr); err != nil {
					return nil, err
				}
				p := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
				_, err := io.ReadFull(c, p)
				return p, err
			}
			if _, err := c.Write(greeting); err != nil {
				return err
			}
			for _, answer := range answers {
				if _, err := readPacket(); err != nil {
					return err
				}
				// Split the answer in two writes inside its header, to
				// exercise the framing.
				if _, err := c.Write(answer[:2]); err != nil {
					return err
				}
				if _, err := c.Write(answer[2:]); err != nil {
					return err
				}
			}
			_, err = readPacket() // the prepared statement, unanswered
			return err
		}()
	}()

	w := &wire{name: "test"}
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := w.counter.Wrap(&recordingConn{Conn: nc, w: w})
	defer c.Close()
	buf := make([]byte, 64)
	readAnswer := func(n int) { // reads n bytes, in small reads
		var got []byte
		for len(got) < n {
			k, err := c.Read(buf[:min(3, n-len(got))])
			if err != nil {
				t.Fatalf("read %d of %d bytes: %v", len(got), n, err)
			}
			got = append(got, buf[:k]...)
		}
	}
	readAnswer(len(greeting))
	m := w.mark()
	query := func(seq byte, cmd byte, text string, answerLen int) {
		if _, err := c.Write(packet(seq, append([]byte{cmd}, text...)...)); err != nil {
			t.Fatal(err)
		}
		if answerLen > 0 {
			readAnswer(answerLen)
		}
	}
	query(1, 0x8d, "login", len(answers[0])) // the handshake response: seq 1, not a command
	query(0, comQuery, "SELECT 1", len(answers[1]))
	query(0, comQuery, "INSERT INTO t VALUES (1)", len(answers[2]))
	query(0, comQuery, "INSERT INTO t VALUES (1)", len(answers[3]))
	query(0, 0x16, "SELECT ?", 0) // COM_STMT_PREPARE
	if err := <-serverDone; err != nil {
		t.Fatal(err)
	}

	rt, dials, stmts, err := w.since(m)
	if err == nil || !strings.Contains(err.Error(), "0x16") {
		t.Errorf("got error %v, want one naming command 0x16", err)
	}
	if rt != 4 || dials != 0 {
		t.Errorf("got %d round trips and %d dials, want 4 and 0", rt, dials)
	}
	want := []statement{
		{"SELECT 1", head{kind: headRows}},
		{"INSERT INTO t VALUES (1)", head{kind: headOK, affected: 1, insertID: 300}},
		{"INSERT INTO t VALUES (1)", head{kind: headErr, errNo: 1062}},
	}
	if err := sameStatements(want, stmts); err != nil {
		t.Error(err)
	}
	// And sameStatements tells a different answer.
	other := append([]statement(nil), want...)
	other[1].head.insertID = 301
	if err := sameStatements(want, other); err == nil || !strings.Contains(err.Error(), "insert id 301") {
		t.Errorf("sameStatements of another insert id: got %v", err)
	}
}

func TestLenEnc(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want uint64
		size int
	}{
		{[]byte{0x05}, 5, 1},
		{[]byte{0xfc, 0x2c, 0x01}, 300, 3},
		{[]byte{0xfd, 0x01, 0x00, 0x01}, 65537, 4},
		{[]byte{0xfe, 1, 0, 0, 0, 1, 0, 0, 0}, 1<<32 + 1, 9},
	} {
		if got, size := lenEnc(tt.in); got != tt.want || size != tt.size {
			t.Errorf("lenEnc(%x): got %d, %d; want %d, %d", tt.in, got, size, tt.want, tt.size)
		}
	}
}
