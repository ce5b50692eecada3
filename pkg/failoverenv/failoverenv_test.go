package failoverenv

import (
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestOptions(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2"}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    plan.Options
		wantErr string
	}{
		{name: "unset: the plan chooses", env: nil, want: plan.Options{}},
		{name: "a region of the deployment", env: map[string]string{Target: "us-west-2"}, want: plan.Options{Target: "us-west-2"}},
		{name: "a lag bound", env: map[string]string{MaxLag: "45s"}, want: plan.Options{MaxLag: 45 * time.Second}},
		{name: "both", env: map[string]string{Target: "us-east-1", MaxLag: "2m"}, want: plan.Options{Target: "us-east-1", MaxLag: 2 * time.Minute}},
		{name: "another region", env: map[string]string{Target: "eu-west-1"}, wantErr: "TODOMGMT_TARGET: target \"eu-west-1\" is not a region of this deployment (us-east-1, us-west-2)"},
		{name: "not a region (a role)", env: map[string]string{Target: "secondary"}, wantErr: "TODOMGMT_TARGET: target \"secondary\" is not a region name"},
		{name: "a lag without a unit", env: map[string]string{MaxLag: "30"}, wantErr: "TODOMGMT_MAX_LAG=\"30\": "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Options(env(tt.env), regions)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Options = %+v, %v; want an error starting %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Options = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  failover.Kind
	}{
		{"", failover.KindPlanned},
		{"unplanned", failover.KindUnplanned},
		{"detach", failover.KindDetach},
	} {
		if got := Kind(env(map[string]string{Plan: tt.value})); got != tt.want {
			t.Errorf("Kind(%s=%q) = %q, want %q", Plan, tt.value, got, tt.want)
		}
	}
}
