package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat. It
// is 100 on every Linux architecture Go supports (reading sysconf would take
// cgo).
const clockTicks = 100

// procStat is what /proc/<pid>/stat says about a process.
type procStat struct {
	comm       string
	ppid       int
	cpuSeconds float64 // utime + stime
}

// parseProcStat parses one /proc/<pid>/stat line. The command may contain
// spaces and parentheses, so fields are counted from the last ')'.
func parseProcStat(line string) (procStat, error) {
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("malformed stat line %q", line)
	}
	// Fields after the command: state(3) ppid(4) ... utime(14) stime(15).
	fields := strings.Fields(line[end+1:])
	if len(fields) < 13 {
		return procStat{}, fmt.Errorf("short stat line %q", line)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return procStat{}, fmt.Errorf("ppid in %q: %w", line, err)
	}
	utime, err := strconv.ParseUint(fields[11], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("utime in %q: %w", line, err)
	}
	stime, err := strconv.ParseUint(fields[12], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("stime in %q: %w", line, err)
	}
	return procStat{comm: line[open+1 : end], ppid: ppid, cpuSeconds: float64(utime+stime) / clockTicks}, nil
}

// readProcStat reads /proc/<pid>/stat.
func readProcStat(pid int) (procStat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(strings.TrimSpace(string(data)))
}

// peakRSSMiB returns VmHWM, the peak resident set, from /proc/<pid>/status.
func peakRSSMiB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", rest, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// childByComm returns the pid of a child of ppid whose command is comm, or 0.
// envtest does not expose the pids of etcd and kube-apiserver.
func childByComm(ppid int, comm string) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		st, err := readProcStat(pid)
		if err == nil && st.ppid == ppid && st.comm == comm {
			return pid
		}
	}
	return 0
}

// cpuSeconds returns a process's CPU time so far, 0 when it cannot be read.
func cpuSeconds(pid int) float64 {
	if pid == 0 {
		return 0
	}
	st, err := readProcStat(pid)
	if err != nil {
		return 0
	}
	return st.cpuSeconds
}
