package lambdaemu

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr has the kernel send SIGTERM to the emulator when the process
// that started it dies (a test binary killed by its timeout, say), so the
// emulator still stops the function it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// killChildren sends SIGKILL to the process group of each child of pid.
// The emulator starts the function as the leader of a process group of
// its own.
func killChildren(pid int) {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if child, err := strconv.Atoi(f); err == nil {
				_ = syscall.Kill(-child, syscall.SIGKILL)
				_ = syscall.Kill(child, syscall.SIGKILL)
			}
		}
	}
}
