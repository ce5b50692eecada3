// Package lambdabuild builds the Lambda functions' bootstrap binaries the
// way they run in AWS: static, for provided.al2023 on arm64, without the
// legacy RPC runtime, with reproducible paths and no symbols.
package lambdabuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Function is one Lambda function of the project.
type Function struct {
	// Name is the function's short name and its output folder.
	Name string
	// Package is the Go package of its main, relative to the module root.
	Package string
}

// The project's Lambda functions.
var (
	API       = Function{Name: "api", Package: "./handlers/api"}
	Migrate   = Function{Name: "migrate", Package: "./handlers/migrate"}
	Readiness = Function{Name: "readiness", Package: "./handlers/readiness"}
	Functions = []Function{API, Migrate, Readiness}
)

// Flags are the go build flags for a Lambda binary: lambda.norpc drops the
// RPC runtime that provided.al2023 does not use; -s strips the symbol table
// and (since Go 1.22) the DWARF data. Each is a single -flag=value without
// spaces, so the same list works in GOFLAGS for `sam build` (GoFlags).
var Flags = []string{"-tags=lambda.norpc", "-trimpath", "-ldflags=-s"}

// GoFlags returns Flags as a GOFLAGS value, for builds that run go
// themselves (SAM's go1.x builder).
func GoFlags() string {
	return strings.Join(Flags, " ")
}

// Env returns the environment for cross-compiling to linux/arch without cgo.
func Env(arch string) []string {
	return append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
}

// Build compiles fn for linux/arch into outDir/<fn.Name>/bootstrap, running
// go in moduleRoot, and returns the binary's path.
func Build(ctx context.Context, moduleRoot string, fn Function, outDir, arch string) (string, error) {
	out, err := filepath.Abs(filepath.Join(outDir, fn.Name, "bootstrap"))
	if err != nil {
		return "", err
	}
	args := append([]string{"build"}, Flags...)
	args = append(args, "-o", out, fn.Package)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot
	cmd.Env = Env(arch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s for linux/%s: %w\n%s", fn.Name, arch, err, msg)
	}
	return out, nil
}
