package bench

import (
	"fmt"
	"strconv"
)

// The variables mage bench reads; unset means the default count.
const (
	EnvRuns       = "TODOMGMT_BENCH_RUNS"
	EnvRequests   = "TODOMGMT_BENCH_REQUESTS"
	EnvColdStarts = "TODOMGMT_BENCH_COLD_STARTS"
)

// OptionsFromEnv reads the counts of Options from EnvRuns, EnvRequests
// and EnvColdStarts through getenv (os.Getenv in the magefile): each a
// positive integer, DefaultRuns, DefaultRequests and DefaultColdStarts
// when unset.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	for _, x := range []struct {
		name string
		def  int
		dst  *int
	}{{EnvRuns, DefaultRuns, &o.Runs}, {EnvRequests, DefaultRequests, &o.Requests}, {EnvColdStarts, DefaultColdStarts, &o.ColdStarts}} {
		v := getenv(x.name)
		if v == "" {
			*x.dst = x.def
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Options{}, fmt.Errorf("%s=%q: want a positive integer", x.name, v)
		}
		*x.dst = n
	}
	return o, nil
}
