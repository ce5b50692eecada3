// Package console is the operator's side of a region switch: TextPrinter
// prints a run's events as lines for a terminal or a CI log, and the
// confirmers ask before anything disruptive runs, for a typed word at a
// terminal or an explicit flag (TODOMGMT_CONFIRM) where no one can type.
// Destroying the deployment asks the same way.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// ConfirmEnv is the environment variable a non-interactive run sets to the
// expected confirmation word (the target region for a failover, the app
// name for destroy).
const ConfirmEnv = "TODOMGMT_CONFIRM"

// ErrDeclined is returned when the operator does not confirm.
var ErrDeclined = errors.New("declined")

// Confirmer asks an operator to confirm something by typing a word. The
// approvers here are Confirmers, so destroy uses the same mechanism as a
// failover.
type Confirmer interface {
	orchestrator.Approver
	// Confirm shows summary and returns nil only when the operator
	// confirms with word; otherwise an error wrapping ErrDeclined.
	Confirm(ctx context.Context, summary, word string) error
}

// TypedConfirmation is the interactive approver: it prints the plan and
// reads one line, which must be the target region's name.
type TypedConfirmation struct {
	In  io.Reader
	Out io.Writer
}

// Approve asks for the plan's target region.
func (t TypedConfirmation) Approve(ctx context.Context, p plan.Plan) error {
	return t.Confirm(ctx, p.Summary(), p.To)
}

// Confirm prints summary, asks for word and reads one line.
func (t TypedConfirmation) Confirm(ctx context.Context, summary, word string) error {
	if word == "" {
		return fmt.Errorf("%w: nothing to confirm against", ErrDeclined)
	}
	fmt.Fprintf(t.Out, "%s\nType %q to confirm: ", summary, word)
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(t.In).ReadString('\n')
		ch <- line{s, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(t.Out)
		return ctx.Err()
	case l := <-ch:
		got := strings.TrimSpace(l.s)
		if l.err != nil && !(errors.Is(l.err, io.EOF) && got != "") {
			return fmt.Errorf("%w: no confirmation read (%v)", ErrDeclined, l.err)
		}
		if got != word {
			return fmt.Errorf("%w: typed %q, want %q", ErrDeclined, got, word)
		}
		return nil
	}
}

// FlagConfirmation is the non-interactive approver: it approves only when
// Value, set explicitly by the operator (the TODOMGMT_CONFIRM variable),
// equals the confirmation word. It never reads input.
type FlagConfirmation struct {
	Value string
	// Name is how the operator sets Value, for the refusal message;
	// empty means ConfirmEnv.
	Name string
}

// Approve checks the flag against the plan's target region.
func (f FlagConfirmation) Approve(ctx context.Context, p plan.Plan) error {
	return f.Confirm(ctx, p.Summary(), p.To)
}

// Confirm checks the flag against word.
func (f FlagConfirmation) Confirm(_ context.Context, summary, word string) error {
	name := f.Name
	if name == "" {
		name = ConfirmEnv
	}
	switch {
	case word == "":
		return fmt.Errorf("%w: nothing to confirm against", ErrDeclined)
	case f.Value == "":
		return fmt.Errorf("%w: not a terminal, so no typed confirmation: set %s=%s to run %q non-interactively", ErrDeclined, name, word, summary)
	case f.Value != word:
		return fmt.Errorf("%w: %s=%q, want %q", ErrDeclined, name, f.Value, word)
	}
	return nil
}

// NewConfirmer returns the approver for this process: a FlagConfirmation
// when flagValue is set (an explicit flag always wins, so scripts behave
// the same in a terminal) or stdin is not a terminal, else a typed
// confirmation on stdin and out.
func NewConfirmer(stdin *os.File, out io.Writer, flagValue string) Confirmer {
	if flagValue != "" || !IsTerminal(stdin) {
		return FlagConfirmation{Value: flagValue}
	}
	return TypedConfirmation{In: stdin, Out: out}
}

// IsTerminal reports whether f is a terminal. A character device is not
// enough: /dev/null is one too, and a run with stdin from /dev/null (CI,
// cron) must get the flag's refusal, not a prompt nobody can answer.
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}
