// Package samcheck has AWS's own tools judge template.yaml: the SAM
// translator (aws-sam-translator, the library behind CloudFormation's
// AWS::Serverless-2016-10-31 transform) turns the template into
// CloudFormation once per parameter set, and cfn-lint lints each result with
// that set's parameter values and region.
//
// cfn-lint alone would translate the template with the parameters'
// defaults and ignore --parameters (it applies them only to a template
// without a Transform), so the translation comes first: one run of
// translate.py (embedded, `python3 -c`) for every parameter set, then
// cfn-lint over the translated templates, one run per region, in parallel.
//
// Errors and warnings fail the check. Informational findings fail it too,
// unless InformationalFile lists them with a reason; an entry of that file
// that matches nothing any more fails it as well, so the list cannot rot.
package samcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// TemplateFile is the SAM template at the module root.
const TemplateFile = "template.yaml"

// OutDir is where Run writes the translated templates and cfn-lint's
// deployment files, relative to the module root (SAM's own build
// directory, which git ignores).
const OutDir = ".aws-sam/samcheck"

// ToolsRequired reports whether a missing cfn-lint or translator fails
// the check instead of skipping it: under CI or TODOMGMT_REQUIRE_DOCKER,
// as for the Docker tests.
func ToolsRequired() bool {
	return os.Getenv("CI") != "" || os.Getenv("TODOMGMT_REQUIRE_DOCKER") != ""
}

// Options configure Run.
type Options struct {
	// Dir is the module root (template.yaml, samconfig.toml,
	// InformationalFile).
	Dir string
	// Out receives the report: one line per parameter set.
	Out io.Writer
	// Require fails the check when the tools are missing (see ToolsRequired).
	Require    bool
	Translator Translator
	Linter     Linter
}

// Run translates template.yaml for every parameter set of
// samconfig.toml, lints the results with cfn-lint and reviews the
// findings. It returns an error when a set fails, or when the tools are
// missing and o.Require is set; without o.Require it says how to install
// them and returns nil.
func Run(ctx context.Context, o Options) error {
	start := time.Now()
	sc, err := samconfig.Load(filepath.Join(o.Dir, samconfig.DefaultPath))
	if err != nil {
		return err
	}
	sets, err := ParameterSets(sc)
	if err != nil {
		return err
	}
	accepted, err := ReadAccepted(filepath.Join(o.Dir, InformationalFile))
	if err != nil {
		return err
	}
	tpl, err := filepath.Abs(filepath.Join(o.Dir, TemplateFile))
	if err != nil {
		return err
	}
	out := filepath.Join(o.Dir, OutDir)
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	var jobs []Job
	for _, s := range sets {
		jobs = append(jobs, JobFor(s, tpl))
	}
	versions, translations, err := o.Translator.Translate(ctx, out, jobs)
	if err != nil {
		return o.missing(err)
	}
	translated := time.Since(start)
	var targets []Target
	// problems maps each failing finding's text to the sets it occurs in.
	problems := map[string][]string{}
	failedSets := map[string]bool{}
	for i, tr := range translations {
		s := sets[i]
		for _, e := range tr.Errors {
			problems["SAM translator: "+e] = append(problems["SAM translator: "+e], s.Name)
			failedSets[s.Name] = true
		}
		if len(tr.Errors) == 0 {
			targets = append(targets, Target{Name: s.Name, File: filepath.Base(tr.File), Region: s.Region, Params: s.Params})
		}
	}
	findings, err := o.Linter.Lint(ctx, out, targets)
	if err != nil {
		return o.missing(err)
	}
	asWritten, err := o.Linter.LintAsWritten(ctx, filepath.Dir(tpl), filepath.Base(tpl))
	if err != nil {
		return o.missing(err)
	}
	findings = append(findings, asWritten...)
	failing, _, stale := Review(findings, accepted)
	count := map[string]map[string]int{}
	for _, f := range findings {
		if count[f.Target] == nil {
			count[f.Target] = map[string]int{}
		}
		count[f.Target][f.Severity()]++
	}
	unlisted := map[string]int{}
	for _, f := range failing {
		key := fmt.Sprintf("cfn-lint %s %s: %s", f.Rule, strings.Join(f.Path, "/"), f.Message)
		problems[key] = append(problems[key], f.Target)
		failedSets[f.Target] = true
		if f.Severity() == "informational" {
			unlisted[f.Target]++
		}
	}

	fmt.Fprintf(o.Out, "samcheck: aws-sam-translator %s, cfn-lint %s: %d parameter sets translated in %s, linted in %s (files in %s)\n",
		orUnknown(versions.SamTranslator), orUnknown(versions.CfnLint), len(sets), translated.Round(10*time.Millisecond),
		(time.Since(start) - translated).Round(10*time.Millisecond), OutDir)
	for _, s := range sets {
		c := count[s.Name]
		result := "pass"
		if failedSets[s.Name] {
			result = "FAIL"
		}
		fmt.Fprintf(o.Out, "  %-4s %-27s %-10s %d errors, %d warnings, %d informational (%d listed in %s)\n",
			result, s.Name, s.Region, c["error"], c["warning"], c["informational"], c["informational"]-unlisted[s.Name], InformationalFile)
	}
	c := count[AsWritten]
	result := "pass"
	if failedSets[AsWritten] {
		result = "FAIL"
	}
	fmt.Fprintf(o.Out, "  %-4s %-27s %-10s %d errors, %d warnings, %d informational (cfn-lint %s: every parameter at its default)\n",
		result, AsWritten, "default", c["error"], c["warning"], c["informational"], TemplateFile)
	for _, p := range slices.Sorted(maps.Keys(problems)) {
		in := strings.Join(problems[p], ", ")
		inSets := slices.DeleteFunc(slices.Clone(problems[p]), func(n string) bool { return n == AsWritten })
		switch {
		case len(inSets) == len(sets) && len(inSets) < len(problems[p]):
			in = "every parameter set and " + AsWritten
		case len(inSets) == len(sets):
			in = "every parameter set"
		}
		fmt.Fprintf(o.Out, "  %s\n      in %s\n", p, in)
	}
	for _, msg := range stale {
		fmt.Fprintf(o.Out, "  %s: %s\n", InformationalFile, msg)
	}
	if len(failedSets) > 0 || len(stale) > 0 {
		fmt.Fprintf(o.Out, "samcheck: by hand: python3 internal/samcheck/translate.py < %s/%s; cd %s && %s %s; %s %s\n",
			OutDir, RequestFile, OutDir, o.Linter.command(), strings.Join(Args("<region>", []string{"<set>.deployment.json", "..."}), " "),
			o.Linter.command(), TemplateFile)
		return fmt.Errorf("AWS's tools refuse the template: %d of %d parameter sets (and the template as written) fail, %d stale entries in %s",
			len(failedSets), len(sets)+1, len(stale), InformationalFile)
	}
	fmt.Fprintf(o.Out, "samcheck: %d parameter sets and the template as written pass the SAM translator and cfn-lint (%s)\n", len(sets), time.Since(start).Round(10*time.Millisecond))
	return nil
}

func orUnknown(v string) string {
	if v == "" {
		return "(version unknown)"
	}
	return v
}

// missing turns ErrToolsMissing into a skip (a message and nil) unless the
// tools are required; other errors pass through.
func (o Options) missing(err error) error {
	if !errors.Is(err, ErrToolsMissing) {
		return err
	}
	if o.Require {
		return fmt.Errorf("%w (CI or TODOMGMT_REQUIRE_DOCKER is set, so this fails)", err)
	}
	fmt.Fprintf(o.Out, "samcheck: SKIPPED: %v\n  set CI or TODOMGMT_REQUIRE_DOCKER to make this a failure\n", err)
	return nil
}
