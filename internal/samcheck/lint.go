package samcheck

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Target is one translated template for cfn-lint, with the parameter
// values and region it is linted with.
type Target struct {
	Name string
	// File is the translated template, in the directory Lint is given.
	File   string
	Region string
	Params map[string]string
}

// Finding is one cfn-lint match.
type Finding struct {
	// Target names the template (the parameter set).
	Target string
	// Rule is the cfn-lint rule id: E… error, W… warning, I… informational.
	Rule    string
	Level   string
	Message string
	// Path is the location in the template (Resources, Api, Properties, …).
	Path []string
	Line int
}

// Severity is the rule's class: "error", "warning" or "informational".
func (f Finding) Severity() string {
	switch {
	case strings.HasPrefix(f.Rule, "E"):
		return "error"
	case strings.HasPrefix(f.Rule, "W"):
		return "warning"
	}
	return "informational"
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s (%s, line %d): %s", f.Rule, strings.Join(f.Path, "/"), f.Target, f.Line, f.Message)
}

// Linter runs cfn-lint.
type Linter struct {
	// Command is cfn-lint's executable (cfn-lint when empty;
	// TODOMGMT_CFN_LINT overrides it).
	Command string
	// Parallel is the number of cfn-lint processes at once (the number of
	// CPUs when 0).
	Parallel int
}

func (l Linter) command() string {
	switch {
	case l.Command != "":
		return l.Command
	case os.Getenv("TODOMGMT_CFN_LINT") != "":
		return os.Getenv("TODOMGMT_CFN_LINT")
	}
	return "cfn-lint"
}

// Args returns cfn-lint's arguments for the deployment files of one
// region: JSON output, informational rules included, exit status 0 unless
// cfn-lint itself fails (the findings are read from the output).
func Args(region string, deploymentFiles []string) []string {
	return append([]string{"--format", "json", "--include-checks", "I", "--non-zero-exit-code", "none", "--regions", region, "--deployment-files"}, deploymentFiles...)
}

// AsWritten names the findings of the template linted as written: what
// `cfn-lint template.yaml` says, the first thing a newcomer (and a review
// hook) runs. cfn-lint then transforms it itself, with every parameter at
// its default and nothing from samconfig.toml, so it sees one more
// deployment than the parameter sets: the template's defaults.
const AsWritten = "as-written"

// LintAsWritten lints file, in dir, as `cfn-lint <file>` does (its default
// region), informational rules included.
func (l Linter) LintAsWritten(ctx context.Context, dir, file string) ([]Finding, error) {
	cmdName := l.command()
	if _, err := exec.LookPath(cmdName); err != nil {
		return nil, fmt.Errorf("%w: no %s on PATH (%v): %s", ErrToolsMissing, cmdName, err, Install)
	}
	args := []string{"--format", "json", "--include-checks", "I", "--non-zero-exit-code", "none", "--", file}
	return runLint(ctx, cmdName, dir, args, map[string]string{filepath.Base(file): AsWritten})
}

// deploymentFile is cfn-lint's deployment file (the git sync format): a
// template and its parameter values. cfn-lint reads a list of them in one
// run, where --parameters allows a single template.
type deploymentFile struct {
	TemplateFilePath string            `json:"template-file-path"`
	Parameters       map[string]string `json:"parameters"`
}

// DeploymentFileName is the name of a target's deployment file.
func DeploymentFileName(target string) string { return target + ".deployment.json" }

// Lint lints the targets, whose files are in dir, with cfn-lint: the
// targets of one region in one run (cfn-lint takes one region list per
// run), runs in parallel.
func (l Linter) Lint(ctx context.Context, dir string, targets []Target) ([]Finding, error) {
	cmdName := l.command()
	if _, err := exec.LookPath(cmdName); err != nil {
		return nil, fmt.Errorf("%w: no %s on PATH (%v): %s", ErrToolsMissing, cmdName, err, Install)
	}
	byRegion := map[string][]Target{}
	byFile := map[string]string{}
	for _, t := range targets {
		byRegion[t.Region] = append(byRegion[t.Region], t)
		df := DeploymentFileName(t.Name)
		byFile[t.File], byFile[df] = t.Name, t.Name
		data, err := json.MarshalIndent(deploymentFile{TemplateFilePath: t.File, Parameters: t.Params}, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, df), append(data, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	parallel := l.Parallel
	if parallel < 1 {
		parallel = runtime.NumCPU()
	}
	sem := make(chan struct{}, parallel)
	var (
		mu       sync.Mutex
		findings []Finding
		errs     []error
		wg       sync.WaitGroup
	)
	// Each run pays cfn-lint's start-up (about a second), so one run per
	// region, split only when a region has more than its share of the
	// CPUs' work; largest runs first, so the small ones fill the gaps.
	share := (len(targets) + parallel - 1) / parallel
	type run struct {
		region string
		files  []string
	}
	var runs []run
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		for chunk := range slices.Chunk(byRegion[region], max(1, share)) {
			rn := run{region: region}
			for _, t := range chunk {
				rn.files = append(rn.files, DeploymentFileName(t.Name))
			}
			runs = append(runs, rn)
		}
	}
	slices.SortStableFunc(runs, func(a, b run) int { return cmp.Compare(len(b.files), len(a.files)) })
	for _, rn := range runs {
		args := Args(rn.region, rn.files)
		sem <- struct{}{} // here, not in the goroutine: runs start in order
		wg.Go(func() {
			defer func() { <-sem }()
			fs, err := runLint(ctx, cmdName, dir, args, byFile)
			mu.Lock()
			defer mu.Unlock()
			findings = append(findings, fs...)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", cmdName, strings.Join(args, " "), err))
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	slices.SortFunc(findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Message, b.Message))
	})
	return findings, nil
}

// cfnLintMatch is one element of cfn-lint's JSON output.
type cfnLintMatch struct {
	Filename string `json:"Filename"`
	Level    string `json:"Level"`
	Message  string `json:"Message"`
	Location struct {
		Path  []any `json:"Path"`
		Start struct {
			LineNumber int `json:"LineNumber"`
		} `json:"Start"`
	} `json:"Location"`
	Rule struct {
		ID string `json:"Id"`
	} `json:"Rule"`
}

func runLint(ctx context.Context, name, dir string, args []string, byFile map[string]string) ([]Finding, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	var matches []cfnLintMatch
	if err := json.Unmarshal(stdout.Bytes(), &matches); err != nil {
		return nil, fmt.Errorf("read its JSON output: %w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	var out []Finding
	for _, m := range matches {
		target, ok := byFile[filepath.Base(m.Filename)]
		if !ok {
			return nil, fmt.Errorf("a finding in %q, which is none of the templates: %s", m.Filename, m.Message)
		}
		f := Finding{Target: target, Rule: m.Rule.ID, Level: m.Level, Message: m.Message, Line: m.Location.Start.LineNumber}
		for _, p := range m.Location.Path {
			f.Path = append(f.Path, fmt.Sprint(p))
		}
		out = append(out, f)
	}
	return out, nil
}
