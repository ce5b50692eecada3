package mysqlcontainer

import (
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	for _, tt := range []struct {
		name string
		in   Options
		env  map[string]string
		want Options
	}{
		{
			name: "zero value",
			want: Options{Image: DefaultImage, RootPassword: DefaultRootPassword, Database: DefaultDatabase, StartupTimeout: DefaultStartupTimeout},
		},
		{
			name: "image from environment",
			env:  map[string]string{ImageEnv: "todomgmt.local/mariadb:10.11"},
			want: Options{Image: "todomgmt.local/mariadb:10.11", RootPassword: DefaultRootPassword, Database: DefaultDatabase, StartupTimeout: DefaultStartupTimeout},
		},
		{
			name: "explicit values win over the environment",
			in:   Options{Image: "mysql:8.0", RootPassword: "pw", Database: "db", StartupTimeout: time.Second},
			env:  map[string]string{ImageEnv: "todomgmt.local/mariadb:10.11"},
			want: Options{Image: "mysql:8.0", RootPassword: "pw", Database: "db", StartupTimeout: time.Second},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.withDefaults(env(tt.env))
			if got.Image != tt.want.Image || got.RootPassword != tt.want.RootPassword ||
				got.Database != tt.want.Database || got.StartupTimeout != tt.want.StartupTimeout {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDSN(t *testing.T) {
	c := &Container{opts: Options{RootPassword: "r00t"}, host: "127.0.0.1", port: 32768}
	for _, tt := range []struct {
		name string
		got  string
		want string
	}{
		{"user", c.DSN("todo_app", "pw", "todomgmt"), "todo_app:pw@tcp(127.0.0.1:32768)/todomgmt?parseTime=true&timeout=5s"},
		{"root without schema", c.RootDSN(""), "root:r00t@tcp(127.0.0.1:32768)/?parseTime=true&timeout=5s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if got, want := c.Addr(), "127.0.0.1:32768"; got != want {
		t.Errorf("Addr() = %q, want %q", got, want)
	}
}
