package coldstart

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Peak memory of a process, from Linux's /proc (proc(5)).

// peakRSS returns the peak resident set size of process pid, in bytes:
// VmHWM in /proc/<pid>/status, read while it runs.
func peakRSS(pid int) (int64, error) {
	v, err := statusField(pid, "VmHWM")
	if err != nil {
		return 0, err
	}
	kb, unit, _ := strings.Cut(v, " ")
	n, err := strconv.ParseInt(kb, 10, 64)
	if err != nil || unit != "kB" {
		return 0, fmt.Errorf("VmHWM of process %d: %q", pid, v)
	}
	return n << 10, nil
}

// statusField returns the value of a field of /proc/<pid>/status.
func statusField(pid int, name string) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == name {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("process %d has no %s", pid, name)
}

// childRunning returns the pid of the running process whose executable is
// exe and whose parent's executable is parentExe: the bootstrap the
// emulator started (the emulator of an earlier cold start has exited by
// then, and the function it ran with it).
func childRunning(exe, parentExe string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var found []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/" + e.Name() + "/exe"); err != nil || link != exe {
			continue
		}
		ppid, err := statusField(pid, "PPid")
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/" + ppid + "/exe"); err == nil && link == parentExe {
			found = append(found, pid)
		}
	}
	if len(found) != 1 {
		return 0, fmt.Errorf("found %d processes of %s started by %s, want 1", len(found), exe, parentExe)
	}
	return found[0], nil
}
