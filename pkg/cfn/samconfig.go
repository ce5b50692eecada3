package cfn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// SamConfig is a parsed samconfig.toml: config environments, each with
// per-command parameter tables ([env.command.parameters]).
type SamConfig struct {
	Version float64
	Envs    map[string]*SamEnv
}

// SamEnv is one config environment ([primary], [secondary], [default]).
type SamEnv struct {
	Name string
	// Commands maps a command (deploy, build, sync, local_start_api,
	// global) to its parameters.
	Commands map[string]map[string]any
}

// ParseSamConfig reads samconfig.toml.
func ParseSamConfig(data []byte) (*SamConfig, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, fmt.Errorf("parse samconfig: %w", err)
	}
	sc := &SamConfig{Envs: map[string]*SamEnv{}}
	for name, v := range raw {
		if name == "version" {
			f, ok := v.(float64)
			if !ok {
				return nil, fmt.Errorf("parse samconfig: version is %T, want a number", v)
			}
			sc.Version = f
			continue
		}
		cmds, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("parse samconfig: %s is not a table", name)
		}
		env := &SamEnv{Name: name, Commands: map[string]map[string]any{}}
		for cmd, cv := range cmds {
			table, ok := cv.(map[string]any)
			params, ok2 := table["parameters"].(map[string]any)
			if !ok || !ok2 {
				return nil, fmt.Errorf("parse samconfig: [%s.%s] has no parameters table", name, cmd)
			}
			env.Commands[cmd] = params
		}
		sc.Envs[name] = env
	}
	return sc, nil
}

// Get returns a command's parameter, falling back to [env.global.parameters]
// as SAM does.
func (e *SamEnv) Get(cmd, key string) (any, bool) {
	if v, ok := e.Commands[cmd][key]; ok {
		return v, true
	}
	v, ok := e.Commands["global"][key]
	return v, ok
}

// String returns a string parameter ("" when absent or not a string).
func (e *SamEnv) String(cmd, key string) string {
	v, _ := e.Get(cmd, key)
	s, _ := v.(string)
	return s
}

// Words returns a parameter given either as a space-separated string or a
// list of strings (capabilities, for example).
func (e *SamEnv) Words(cmd, key string) []string {
	v, _ := e.Get(cmd, key)
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var ws []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				ws = append(ws, s)
			}
		}
		return ws
	}
	return nil
}

// Overrides returns a command's parameter_overrides as name → value. SAM
// accepts a string of Name=Value pairs (values may be double-quoted, as
// `sam deploy --guided` writes them) or a list of "Name=Value" strings.
func (e *SamEnv) Overrides(cmd string) (map[string]string, error) {
	v, ok := e.Get(cmd, "parameter_overrides")
	if !ok {
		return map[string]string{}, nil
	}
	var pairs []string
	switch v := v.(type) {
	case string:
		var err error
		pairs, err = splitOverrides(v)
		if err != nil {
			return nil, fmt.Errorf("[%s.%s] parameter_overrides: %w", e.Name, cmd, err)
		}
	case []any:
		for _, x := range v {
			s, isStr := x.(string)
			if !isStr {
				return nil, fmt.Errorf("[%s.%s] parameter_overrides: %v is not a string", e.Name, cmd, x)
			}
			pairs = append(pairs, s)
		}
	default:
		return nil, fmt.Errorf("[%s.%s] parameter_overrides is %T", e.Name, cmd, v)
	}
	out := map[string]string{}
	for _, p := range pairs {
		name, value, found := strings.Cut(p, "=")
		if !found || name == "" {
			return nil, fmt.Errorf("[%s.%s] parameter_overrides: %q is not Name=Value", e.Name, cmd, p)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("[%s.%s] parameter_overrides: %s given twice", e.Name, cmd, name)
		}
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		out[name] = value
	}
	return out, nil
}

// splitOverrides splits `A=1 B="x y" C=""` on spaces outside quotes.
func splitOverrides(s string) ([]string, error) {
	var pairs []string
	var cur strings.Builder
	quoted, escaped, started := false, false, false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
			started = true
		case r == ' ' && !quoted:
			if started {
				pairs = append(pairs, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if started {
		pairs = append(pairs, cur.String())
	}
	return pairs, nil
}

// EnvNames returns the environment names, sorted.
func (sc *SamConfig) EnvNames() []string {
	var names []string
	for n := range sc.Envs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
