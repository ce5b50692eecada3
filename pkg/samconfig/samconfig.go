// Package samconfig reads samconfig.toml, the SAM CLI's configuration file,
// so the magefile takes regions, stack names and parameter overrides from
// the one file `sam deploy --config-env <env>` also reads, instead of
// repeating them in Go.
//
// The file holds config environments ([primary], [secondary], [default]),
// each with commands (deploy, build, sync, local_start_api, global) whose
// "parameters" table holds the options: [primary.deploy.parameters].
// Options under "global" apply to every command; a command's own options
// win, as in the SAM CLI.
package samconfig

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// DefaultPath is the file's name at the project root.
const DefaultPath = "samconfig.toml"

// Config is a parsed samconfig.toml.
type Config struct {
	// Version is the file's format version (0.1).
	Version float64
	// Envs are the config environments by name.
	Envs map[string]Env
}

// Env is one config environment.
type Env struct {
	Name string
	// Commands holds each command's parameters by command name, with
	// hyphens written as underscores (local_start_api), as in the file.
	Commands map[string]Params
}

// Params are one command's options, as TOML decoded them (strings, bools,
// numbers, lists).
type Params map[string]any

// Load reads and parses the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse parses samconfig.toml content.
func Parse(data []byte) (*Config, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, err
	}
	c := &Config{Envs: map[string]Env{}}
	for key, v := range raw {
		if key == "version" {
			switch n := v.(type) {
			case float64:
				c.Version = n
			case int64:
				c.Version = float64(n)
			default:
				return nil, fmt.Errorf("version is %T, want a number", v)
			}
			continue
		}
		cmds, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is %T, want a table of commands", key, v)
		}
		env := Env{Name: key, Commands: map[string]Params{}}
		for cmd, cv := range cmds {
			ct, ok := cv.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s.%s is %T, want a table", key, cmd, cv)
			}
			pv, ok := ct["parameters"]
			if !ok {
				continue
			}
			pt, ok := pv.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s.%s.parameters is %T, want a table", key, cmd, pv)
			}
			env.Commands[cmd] = Params(pt)
		}
		c.Envs[key] = env
	}
	return c, nil
}

// Env returns the named environment, or an error naming those there are.
func (c *Config) Env(name string) (Env, error) {
	e, ok := c.Envs[name]
	if !ok {
		return Env{}, fmt.Errorf("samconfig has no [%s] environment (it has: %s)", name, strings.Join(slices.Sorted(maps.Keys(c.Envs)), ", "))
	}
	return e, nil
}

// Params returns the options that apply to command in this environment:
// the "global" ones overlaid with the command's own. Hyphens in command
// are read as underscores ("local-start-api").
func (e Env) Params(command string) Params {
	command = strings.ReplaceAll(command, "-", "_")
	out := Params{}
	maps.Copy(out, e.Commands["global"])
	maps.Copy(out, e.Commands[command])
	return out
}

// String returns option key as a string ("" when absent). Lists are
// joined with spaces, as the SAM CLI does for options like capabilities.
func (p Params) String(key string) string {
	switch v := p[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			parts = append(parts, fmt.Sprint(x))
		}
		return strings.Join(parts, " ")
	default:
		return fmt.Sprint(v)
	}
}

// Region is the "region" option.
func (p Params) Region() string { return p.String("region") }

// StackName is the "stack_name" option.
func (p Params) StackName() string { return p.String("stack_name") }

// ParameterOverrides parses the "parameter_overrides" option, in either
// form the SAM CLI accepts: one string of Key=Value pairs separated by
// spaces (values may be double- or single-quoted) or a list of "Key=Value"
// strings. The ParameterKey=K,ParameterValue=V form is accepted too.
func (p Params) ParameterOverrides() (map[string]string, error) {
	switch v := p["parameter_overrides"].(type) {
	case nil:
		return map[string]string{}, nil
	case string:
		return ParseOverrides(v)
	case []any:
		out := map[string]string{}
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("parameter_overrides[%d] is %T, want a string", i, x)
			}
			m, err := parseOne(s)
			if err != nil {
				return nil, fmt.Errorf("parameter_overrides[%d]: %w", i, err)
			}
			maps.Copy(out, m)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("parameter_overrides is %T, want a string or a list of strings", v)
	}
}

// parseOne parses one list element: Key=Value where Value is taken whole
// (it may hold spaces), unquoted when it is quoted.
func parseOne(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "ParameterKey=") {
		return ParseOverrides(s)
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok || !validKey(k) {
		return nil, fmt.Errorf("%q is not Key=Value", s)
	}
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		m, err := ParseOverrides(s)
		if err == nil {
			return m, nil
		}
	}
	return map[string]string{k: v}, nil
}

// ParseOverrides parses the string form of parameter overrides:
// `Key=Value Key2="quoted value" Key3='single' Key4=` (an empty value is
// allowed) and `ParameterKey=K,ParameterValue=V`. Backslashes are read as
// the SAM CLI reads them (see readValue).
func ParseOverrides(s string) (map[string]string, error) {
	out := map[string]string{}
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		if i >= len(s) || s[i] != '=' || !validKey(key) {
			return nil, fmt.Errorf("at %q: want Key=Value", s[start:])
		}
		i++ // '='
		if key == "ParameterKey" {
			comma := strings.IndexByte(s[i:], ',')
			if comma < 0 {
				return nil, fmt.Errorf("at %q: want ParameterKey=K,ParameterValue=V", s[start:])
			}
			key = s[i : i+comma]
			i += comma + 1
			if !strings.HasPrefix(s[i:], "ParameterValue=") || !validKey(key) {
				return nil, fmt.Errorf("at %q: want ParameterKey=K,ParameterValue=V", s[start:])
			}
			i += len("ParameterValue=")
		}
		val, n, err := readValue(s[i:])
		if err != nil {
			return nil, fmt.Errorf("value of %s: %w", key, err)
		}
		i += n
		if i < len(s) && !isSpace(s[i]) {
			return nil, fmt.Errorf("value of %s: unexpected %q after the value", key, s[i:])
		}
		out[key] = val
	}
}

// readValue reads a value at the start of s and returns it and the bytes
// consumed. As in the SAM CLI, a value is double- or single-quoted (the
// quotes are removed) or bare up to the next space; a backslash keeps the
// next character in the value, so an escaped quote or space does not end
// it, and only \", \' and "\ " then lose their backslash.
func readValue(s string) (string, int, error) {
	var quote byte
	start := 0
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		quote, start = s[0], 1
	}
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case quote != 0 && c == quote:
			return unescape.Replace(s[start:i]), i + 1, nil
		case quote == 0 && isSpace(c):
			return unescape.Replace(s[:i]), i, nil
		}
	}
	switch quote {
	case '"':
		return "", 0, errors.New("unterminated double quote")
	case '\'':
		return "", 0, errors.New("unterminated single quote")
	}
	return unescape.Replace(s), len(s), nil
}

// unescape drops the backslash of \", \' and "\ ", as the SAM CLI does.
var unescape = strings.NewReplacer(`\"`, `"`, `\'`, "'", `\ `, " ")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// validKey reports whether k can be a CloudFormation parameter name
// (alphanumeric).
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// FormatOverrides renders overrides as `sam deploy --parameter-overrides`
// arguments, one "Key=Value" per element sorted by key, with values quoted
// when empty or holding spaces or quotes, so the SAM CLI reads them back
// whole (an unquoted empty value would not parse). Callers join the
// elements with spaces into the one --parameter-overrides argument, which
// the SAM CLI splits as ParseOverrides does; no shell is involved.
func FormatOverrides(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if v == "" || strings.ContainsAny(v, " \t\"'") {
			// The SAM CLI strips the wrapping quotes and unescapes \".
			v = `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
		}
		out = append(out, k+"="+v)
	}
	return out
}
