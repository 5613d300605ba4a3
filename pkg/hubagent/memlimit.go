package hubagent

import (
	"fmt"
	"strconv"
)

// MemoryLimitEnv names the environment variable through which the chart
// passes the container's memory limit, in bytes (from limits.memory).
const MemoryLimitEnv = "MEMORY_LIMIT"

// memoryLimitShare is the part of the container's memory limit that the Go
// runtime aims to stay under. The rest is for what the runtime does not
// count: the binary's mapped pages (about 30 MiB) and the overshoot while
// many objects change at once. A soft limit equal to the container's limit
// lets the process run into the limit.
const memoryLimitShare = 0.9

// SoftMemoryLimit returns the soft memory limit the Go runtime should have
// in a container: 90 % of the container limit in MemoryLimitEnv. ok is
// false when there is nothing to set: GOMEMLIMIT is set (it wins, and the
// runtime read it already), or no limit is given.
func SoftMemoryLimit(getenv func(string) string) (limit int64, ok bool, err error) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false, nil
	}
	v := getenv(MemoryLimitEnv)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, false, fmt.Errorf("%s=%q is not a memory limit in bytes", MemoryLimitEnv, v)
	}
	return int64(float64(n) * memoryLimitShare), true, nil
}
