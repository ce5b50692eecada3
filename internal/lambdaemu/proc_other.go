//go:build !linux

package lambdaemu

import "syscall"

// Start refuses to run on hosts other than Linux (Supported); these only
// keep the package compiling there.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killChildren(int) {}
