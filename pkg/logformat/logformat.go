// Package logformat builds the slog logger of the Lambda functions
// (handlers/api, handlers/migrate) in the format TODOMGMT_LOG_FORMAT names:
// json or text, json by default in Lambda, where CloudWatch Logs Insights
// reads the fields, and text elsewhere.
package logformat

import (
	"io"
	"log/slog"
)

// Env names the variable that selects the format.
const Env = "TODOMGMT_LOG_FORMAT"

// Default is the format when Env is unset: "json" in Lambda
// (AWS_LAMBDA_FUNCTION_NAME set), else "text".
func Default(getenv func(string) string) string {
	if getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return "json"
	}
	return "text"
}

// New returns a logger that writes to w as JSON when format is "json", as
// text otherwise.
func New(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
