package designcheck

import (
	"fmt"
	"slices"
	"strings"
)

// Check is one named check. Translated checks read Deployments, the
// others only the files as written.
type Check struct {
	Name       string
	Doc        string
	Translated bool
	Run        func(in *Input, r *Report)
}

// RunCheck runs one check.
func RunCheck(c Check, in *Input) []Finding {
	r := &Report{check: c.Name}
	c.Run(in, r)
	return r.findings
}

// Report collects a check's findings as it runs (RunCheck makes one per
// run).
type Report struct {
	check    string
	findings []Finding
}

// Add reports a violation in the files as written.
func (r *Report) Add(where, format string, args ...any) {
	r.findings = append(r.findings, Finding{Check: r.check, Where: where, Message: fmt.Sprintf(format, args...)})
}

// AddIn reports a violation in deployment d. The same violation in
// several deployments is one finding naming their sets.
func (r *Report) AddIn(d *Deployment, where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for i, f := range r.findings {
		if len(f.Sets) > 0 && f.Where == where && f.Message == msg {
			if !slices.Contains(f.Sets, d.Set.Name) {
				r.findings[i].Sets = append(r.findings[i].Sets, d.Set.Name)
			}
			return
		}
	}
	r.findings = append(r.findings, Finding{Check: r.check, Where: where, Message: msg, Sets: []string{d.Set.Name}})
}

// Finding is one violation reported by a check.
type Finding struct {
	Check   string
	Where   string
	Message string
	// Sets are the parameter sets whose deployments show the violation;
	// empty when it is about the files as written.
	Sets []string
}

func (f Finding) String() string {
	s := fmt.Sprintf("[%s] %s: %s", f.Check, f.Where, f.Message)
	if len(f.Sets) > 0 {
		s += " (in " + strings.Join(f.Sets, ", ") + ")"
	}
	return s
}
