package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	"github.com/todomgmt/todomgmt/pkg/logformat"
)

// The environment variables this function reads besides pkg/dbconn's.
const (
	envRegion         = "TODOMGMT_REGION"
	envRequestTimeout = "TODOMGMT_REQUEST_TIMEOUT"
)

// config is the function's configuration.
type config struct {
	DB             dbconn.Config
	Region         string        // TODOMGMT_REGION, else AWS_REGION, else "local"
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
		Region:         firstNonEmpty(getenv(envRegion), getenv("AWS_REGION"), "local"),
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

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
