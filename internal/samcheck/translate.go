package samcheck

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// translateProgram is translate.py, run as `python3 -c <program>` with
// the jobs on stdin.
//
//go:embed translate.py
var translateProgram string

// ErrToolsMissing marks a missing cfn-lint or aws-sam-translator.
var ErrToolsMissing = errors.New("AWS's template tools are missing")

// Install says how to get the tools.
const Install = "pip install cfn-lint (it brings aws-sam-translator)"

// Job is one template to translate for one parameter set.
type Job struct {
	// Name names the output file <out>/<Name>.json; unique per call.
	Name string
	// TemplatePath is the SAM template to read; Template, its text, is
	// used when TemplatePath is empty.
	TemplatePath string
	Template     []byte
	Region       string
	Params       map[string]string
	// ArtifactPrefix is the S3 key prefix of the placeholder code URIs.
	ArtifactPrefix string
}

// JobFor returns the job translating the template at path for set s.
func JobFor(s ParameterSet, path string) Job {
	return Job{Name: s.Name, TemplatePath: path, Region: s.Region, Params: s.Params, ArtifactPrefix: s.ArtifactPrefix}
}

// Translation is the translator's answer for one job: the CloudFormation
// template it wrote (File), or the errors it found in the SAM template.
type Translation struct {
	Name   string   `json:"name"`
	File   string   `json:"file"`
	Errors []string `json:"errors"`
}

// Translator runs AWS's SAM translator (aws-sam-translator) through
// translate.py.
type Translator struct {
	// Python is the interpreter that has aws-sam-translator (python3 when
	// empty; TODOMGMT_PYTHON overrides it).
	Python string
	// Workers is the number of processes translating at once (1 when 0).
	Workers int
}

// python returns the interpreter to run.
func (t Translator) python() string {
	switch {
	case t.Python != "":
		return t.Python
	case os.Getenv("TODOMGMT_PYTHON") != "":
		return os.Getenv("TODOMGMT_PYTHON")
	}
	return "python3"
}

type translateRequest struct {
	OutDir  string           `json:"out_dir"`
	Workers int              `json:"workers"`
	Jobs    []translationJob `json:"jobs"`
}

type translationJob struct {
	Name           string            `json:"name"`
	TemplatePath   string            `json:"template_path,omitempty"`
	Template       *string           `json:"template,omitempty"`
	Region         string            `json:"region"`
	Parameters     map[string]string `json:"parameters"`
	ArtifactPrefix string            `json:"artifact_prefix,omitempty"`
}

// Versions are the versions of the Python packages that did the work.
type Versions struct {
	SamTranslator string `json:"samtranslator"`
	CfnLint       string `json:"cfnlint"`
}

type translateResponse struct {
	Versions
	Results []Translation `json:"results"`
}

// RequestFile is the name of the request Translate writes to its output
// directory.
const RequestFile = "translate.json"

// Translate translates every job in one run of the interpreter and writes
// the CloudFormation templates to outDir. The error is about the run
// itself (ErrToolsMissing when the interpreter or the translator is
// missing); problems of a template are in its Translation.Errors.
func (t Translator) Translate(ctx context.Context, outDir string, jobs []Job) (Versions, []Translation, error) {
	req := translateRequest{OutDir: outDir, Workers: max(1, t.Workers)}
	for _, j := range jobs {
		tj := translationJob{Name: j.Name, TemplatePath: j.TemplatePath, Region: j.Region, Parameters: j.Params, ArtifactPrefix: j.ArtifactPrefix}
		if tj.Parameters == nil {
			tj.Parameters = map[string]string{}
		}
		if j.TemplatePath == "" {
			s := string(j.Template)
			tj.Template = &s
		}
		req.Jobs = append(req.Jobs, tj)
	}
	in, err := json.MarshalIndent(req, "", "  ")
	if err != nil {
		return Versions{}, nil, err
	}
	// The request stays beside the output, so the run can be repeated by
	// hand: python3 internal/samcheck/translate.py < <outDir>/translate.json
	if err := os.WriteFile(filepath.Join(outDir, RequestFile), in, 0o644); err != nil {
		return Versions{}, nil, err
	}
	py := t.python()
	if _, err := exec.LookPath(py); err != nil {
		return Versions{}, nil, fmt.Errorf("%w: no %s on PATH (%v); the translator needs Python 3 with aws-sam-translator: %s", ErrToolsMissing, py, err, Install)
	}
	cmd := exec.CommandContext(ctx, py, "-c", translateProgram)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "ModuleNotFoundError") {
			return Versions{}, nil, fmt.Errorf("%w: %s cannot import the translator (%s): %s, or point TODOMGMT_PYTHON at the Python that has it", ErrToolsMissing, py, lastLine(msg), Install)
		}
		return Versions{}, nil, fmt.Errorf("%s translate.py: %w\n%s", py, err, msg)
	}
	var resp translateResponse
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return Versions{}, nil, fmt.Errorf("%s translate.py: read its answer: %w", py, err)
	}
	if len(resp.Results) != len(jobs) {
		return Versions{}, nil, fmt.Errorf("%s translate.py: %d results for %d jobs", py, len(resp.Results), len(jobs))
	}
	return resp.Versions, resp.Results, nil
}

// lastLine returns the last line of s.
func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
