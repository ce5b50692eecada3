package contract

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

// TestSamConfigReadsOverridesAsSAMDoes writes the repository's overrides in
// the other forms the SAM CLI (and mage, through pkg/samconfig) accept and
// requires the checks to read them the same: no finding.
func TestSamConfigReadsOverridesAsSAMDoes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		format func(k, v string) string
	}{
		{"single quotes", func(k, v string) string { return k + "='" + v + "'" }},
		{"ParameterKey form", func(k, v string) string { return "ParameterKey=" + k + ",ParameterValue=" + v }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := checktest.Source(t)
			for _, env := range []string{"primary", "secondary"} {
				for _, cmd := range []string{"deploy", "sync"} {
					e := in.SamConfig.Envs[env]
					ov, err := e.Params(cmd).ParameterOverrides()
					if err != nil {
						t.Fatal(err)
					}
					var parts []string
					for _, k := range slices.Sorted(maps.Keys(ov)) {
						parts = append(parts, tt.format(k, ov[k]))
					}
					e.Commands[cmd]["parameter_overrides"] = strings.Join(parts, " ")
				}
			}
			for _, c := range Checks {
				if c.Name == "parameter-sets" || c.Name == "samconfig" || c.Name == "rules" {
					for _, f := range designcheck.RunCheck(c, in) {
						t.Errorf("%s", f)
					}
				}
			}
		})
	}
}
