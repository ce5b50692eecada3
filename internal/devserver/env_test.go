package devserver

import "testing"

func TestOptionsFromEnv(t *testing.T) {
	for _, tt := range []struct {
		env        map[string]string
		addr       string
		wantMemory bool
	}{
		{nil, "127.0.0.1:3000", false},
		{map[string]string{EnvPort: "8080"}, "127.0.0.1:8080", false},
		{map[string]string{EnvStore: "memory"}, "127.0.0.1:3000", true},
		{map[string]string{EnvStore: "mysql"}, "127.0.0.1:3000", false},
	} {
		o := OptionsFromEnv(func(k string) string { return tt.env[k] })
		if o.Addr != tt.addr || o.Memory != tt.wantMemory {
			t.Errorf("OptionsFromEnv(%v) = %s memory=%t, want %s memory=%t", tt.env, o.Addr, o.Memory, tt.addr, tt.wantMemory)
		}
	}
}
