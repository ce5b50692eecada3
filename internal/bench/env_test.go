package bench

import "testing"

func TestOptionsFromEnv(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    Options
		wantErr string
	}{
		{name: "defaults", want: Options{Runs: DefaultRuns, Requests: DefaultRequests, ColdStarts: DefaultColdStarts}},
		{name: "all set", env: map[string]string{EnvRuns: "2", EnvRequests: "100", EnvColdStarts: "3"}, want: Options{Runs: 2, Requests: 100, ColdStarts: 3}},
		{name: "one set", env: map[string]string{EnvRequests: "50"}, want: Options{Runs: DefaultRuns, Requests: 50, ColdStarts: DefaultColdStarts}},
		{name: "zero", env: map[string]string{EnvRuns: "0"}, wantErr: `TODOMGMT_BENCH_RUNS="0": want a positive integer`},
		{name: "negative", env: map[string]string{EnvColdStarts: "-1"}, wantErr: `TODOMGMT_BENCH_COLD_STARTS="-1": want a positive integer`},
		{name: "not a number", env: map[string]string{EnvRequests: "2k"}, wantErr: `TODOMGMT_BENCH_REQUESTS="2k": want a positive integer`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OptionsFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("OptionsFromEnv = %+v, %v; want %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("OptionsFromEnv = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
