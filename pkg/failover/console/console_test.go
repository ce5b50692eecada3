package console

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// The regions of the tests.
const (
	east = "us-east-1"
	west = "us-west-2"
)

func TestTypedConfirmation(t *testing.T) {
	p := plan.Plan{Kind: failover.KindPlanned, GlobalID: "g", From: east, To: west}
	for _, tt := range []struct {
		name    string
		input   string
		wantErr bool
	}{
		{"target typed", "us-west-2\n", false},
		{"target typed with spaces", "  us-west-2  \n", false},
		{"target without newline at EOF", "us-west-2", false},
		{"yes is not enough", "yes\n", true},
		{"the other region", "us-east-1\n", true},
		{"empty line", "\n", true},
		{"no input", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := TypedConfirmation{In: strings.NewReader(tt.input), Out: &out}.Approve(context.Background(), p)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Approve(%q) error %v, want error %t", tt.input, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrDeclined) {
				t.Errorf("error %v, want ErrDeclined", err)
			}
			if !strings.Contains(out.String(), `Type "us-west-2" to confirm`) || !strings.Contains(out.String(), p.Summary()) {
				t.Errorf("prompt %q lacks the summary or the word", out.String())
			}
		})
	}
}

func TestTypedConfirmationHonoursContext(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := TypedConfirmation{In: r, Out: io.Discard}.Confirm(ctx, "destroy", "todomgmt")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's deadline", err)
	}
}

func TestFlagConfirmation(t *testing.T) {
	p := plan.Plan{Kind: failover.KindUnplanned, To: west}
	for _, tt := range []struct {
		value, want string
	}{
		{"us-west-2", ""},
		{"", "set TODOMGMT_CONFIRM=us-west-2"},
		{"us-east-1", `TODOMGMT_CONFIRM="us-east-1", want "us-west-2"`},
		{"yes", `want "us-west-2"`},
	} {
		t.Run(tt.value, func(t *testing.T) {
			err := FlagConfirmation{Value: tt.value}.Approve(context.Background(), p)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Approve with %q: %v, want nil", tt.value, err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrDeclined) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Approve with %q: %v, want ErrDeclined containing %q", tt.value, err, tt.want)
			}
		})
	}
}

func TestNewConfirmer(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := NewConfirmer(f, io.Discard, "").(FlagConfirmation); !ok {
		t.Errorf("a regular file as stdin: want the flag approver")
	}
	if c, ok := NewConfirmer(f, io.Discard, west).(FlagConfirmation); !ok || c.Value != west {
		t.Errorf("explicit flag: want the flag approver with its value, got %#v", c)
	}
	if IsTerminal(nil) {
		t.Errorf("IsTerminal(nil) = true")
	}
	// /dev/null is a character device but no terminal: stdin from it (CI,
	// cron) must get the flag approver, which refuses without the flag.
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if IsTerminal(null) {
		t.Errorf("IsTerminal(%s) = true, want false", os.DevNull)
	}
	if _, ok := NewConfirmer(null, io.Discard, "").(FlagConfirmation); !ok {
		t.Errorf("stdin from %s: want the flag approver", os.DevNull)
	}
}

func TestTextPrinter(t *testing.T) {
	var b strings.Builder
	p := TextPrinter{W: &b}
	step := plan.Step{Action: plan.ActionRoute, Summary: "send traffic to us-west-2"}
	p.Print(orchestrator.Event{Kind: orchestrator.EventStepStarted, Step: step, Index: 3, Total: 4, Elapsed: 95 * time.Second})
	p.Print(orchestrator.Event{Kind: orchestrator.EventStepFailed, Step: step, Index: 3, Total: 4, Elapsed: 100 * time.Second, Took: 5 * time.Second, Err: errors.New("denied")})
	want := "[  1m35s] 3/4 route: send traffic to us-west-2\n[  1m40s] 3/4 route: FAILED after 5s: denied\n"
	if got := b.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
