package lambdaruntime

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// maxOutput bounds the output a Process keeps.
const maxOutput = 1 << 20

// Process is a function's binary running against a Server.
type Process struct {
	srv     *Server
	cmd     *exec.Cmd
	out     *lockedBuffer
	exited  chan struct{}
	waitErr error
	started time.Time
}

// Start runs the binary at path against srv, the way Lambda starts a
// provided.al2023 function: a clean environment with AWS_LAMBDA_RUNTIME_API
// and the usual AWS_LAMBDA_* variables, then env (KEY=value entries, which
// win over the defaults). Its stdout and stderr are kept (Output).
//
// The process is not bound to ctx's lifetime beyond the start: call Stop.
func Start(ctx context.Context, srv *Server, path string, env []string) (*Process, error) {
	name := filepath.Base(filepath.Dir(path))
	cmd := exec.Command(path)
	cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + srv.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(path),
		"TZ=:UTC",
	}, env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &Process{srv: srv, cmd: cmd, out: out, exited: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", path, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Started is when the process was started.
func (p *Process) Started() time.Time { return p.started }

// Output returns what the process wrote to stdout and stderr so far (at
// most the first MiB).
func (p *Process) Output() string { return p.out.String() }

// Invoke is Server.Invoke that also fails, without waiting for ctx, when
// the process exits before it answers.
func (p *Process) Invoke(ctx context.Context, payload []byte) (Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	r, err := p.srv.Invoke(ctx, payload)
	if err != nil {
		select {
		case <-p.exited:
			return r, fmt.Errorf("lambdaruntime: the function exited (%v) before it answered; output:\n%s", p.waitErr, p.Output())
		default:
		}
	}
	return r, err
}

// Stop ends the process as Lambda ends an execution environment: SIGTERM,
// then SIGKILL after grace. It returns once the process has exited.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// lockedBuffer is a size-bounded buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
