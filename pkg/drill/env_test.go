package drill

import (
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/drill/load"
)

func TestConfigFromEnv(t *testing.T) {
	def := Config{Rounds: 1, Load: load.Config{Rate: 20}}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: def},
		{name: "all set", env: map[string]string{RoundsEnv: "3", RateEnv: "100", PartitionEnv: "2s"},
			want: Config{Rounds: 3, Load: load.Config{Rate: 100}, Partition: 2 * time.Second}},
		{name: "no cut", env: map[string]string{PartitionEnv: "0"}, want: Config{Rounds: 1, Load: load.Config{Rate: 20}, Partition: -1}},
		{name: "rate too high", env: map[string]string{RateEnv: "5000"}, wantErr: "TODOMGMT_DRILL_RATE=5000"},
		{name: "rounds not a number", env: map[string]string{RoundsEnv: "two"}, wantErr: `TODOMGMT_DRILL_ROUNDS="two": want a positive integer`},
		{name: "rate zero", env: map[string]string{RateEnv: "0"}, wantErr: "want a positive integer"},
		{name: "bad partition", env: map[string]string{PartitionEnv: "1 s"}, wantErr: "TODOMGMT_DRILL_PARTITION"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] }, def)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ConfigFromEnv = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Rounds != tt.want.Rounds || got.Load.Rate != tt.want.Load.Rate || got.Partition != tt.want.Partition {
				t.Errorf("ConfigFromEnv = rounds %d, rate %g, partition %s; want %d, %g, %s",
					got.Rounds, got.Load.Rate, got.Partition, tt.want.Rounds, tt.want.Load.Rate, tt.want.Partition)
			}
		})
	}
}
