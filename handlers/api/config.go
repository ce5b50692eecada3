package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/logformat"
	"github.com/todomgmt/todomgmt/pkg/mysql"
)

// The environment variables this function reads besides pkg/dbconn's and
// mysql.EnvRegion (TODOMGMT_REGION).
const (
	envRequestTimeout = "TODOMGMT_REQUEST_TIMEOUT"
)

// config is the function's configuration.
type config struct {
	DB dbconn.Config
	// Region is TODOMGMT_REGION, else AWS_REGION, else "local"
	// (mysql.RegionFromEnv, the rule the migrate function follows too): the
	// store creates todos only while the id fence names it.
	Region         string
	RequestTimeout time.Duration // TODOMGMT_REQUEST_TIMEOUT, else httpapi.DefaultRequestTimeout
	LogFormat      string        // TODOMGMT_LOG_FORMAT: json or text; json in Lambda, else text
	// SAMLocal is true under `sam local` (AWS_SAM_LOCAL=true), which runs
	// no Cognito authorizer: scopes are then not checked.
	SAMLocal bool
}

// loadConfig reads the configuration through getenv. On error the returned
// config still has a usable LogFormat, to log the error with.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		RequestTimeout: httpapi.DefaultRequestTimeout,
		LogFormat:      logformat.Default(getenv),
		SAMLocal:       getenv("AWS_SAM_LOCAL") == "true",
	}
	switch f := strings.TrimSpace(getenv(logformat.Env)); f {
	case "":
	case "json", "text":
		c.LogFormat = f
	default:
		return c, fmt.Errorf("%s: %q is neither json nor text", logformat.Env, f)
	}
	region, err := mysql.RegionFromEnv(getenv)
	if err != nil {
		return c, err
	}
	c.Region = region
	if v := strings.TrimSpace(getenv(envRequestTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive Go duration such as 8s", envRequestTimeout, v)
		}
		c.RequestTimeout = d
	}
	db, err := dbconn.FromEnv(getenv)
	if err != nil {
		return c, err
	}
	c.DB = db
	return c, nil
}
