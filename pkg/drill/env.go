package drill

import (
	"fmt"
	"strconv"
	"time"
)

// The environment variables the drill targets read (ConfigFromEnv).
const (
	// RoundsEnv is Config.Rounds.
	RoundsEnv = "TODOMGMT_DRILL_ROUNDS"
	// RateEnv is load.Config.Rate, in creates per second (1 to load.MaxRate).
	RateEnv = "TODOMGMT_DRILL_RATE"
	// PartitionEnv is Config.Partition, a Go duration; 0 kills the
	// writer with replication running.
	PartitionEnv = "TODOMGMT_DRILL_PARTITION"
)

// ConfigFromEnv returns def with what RoundsEnv, RateEnv and PartitionEnv
// set (getenv is os.Getenv), checked before anything starts.
func ConfigFromEnv(getenv func(string) string, def Config) (Config, error) {
	c := def
	var err error
	if c.Rounds, err = positiveInt(getenv, RoundsEnv, def.Rounds); err != nil {
		return c, err
	}
	rate, err := positiveInt(getenv, RateEnv, int(def.Load.Rate))
	if err != nil {
		return c, err
	}
	c.Load.Rate = float64(rate)
	if err := c.Load.Validate(); err != nil {
		return c, fmt.Errorf("%s=%d: %w", RateEnv, rate, err)
	}
	if v := getenv(PartitionEnv); v != "" {
		if c.Partition, err = time.ParseDuration(v); err != nil {
			return c, fmt.Errorf("%s: %w", PartitionEnv, err)
		}
		if c.Partition <= 0 {
			c.Partition = -1 // 0: kill the writer with replication running
		}
	}
	return c, nil
}

// positiveInt reads a positive integer setting, def when unset.
func positiveInt(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", name, v)
	}
	return n, nil
}
