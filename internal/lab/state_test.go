package lab

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestStateSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "lab.json")
	if _, err := LoadState(path); !errors.Is(err, ErrNoLab) {
		t.Fatalf("LoadState(missing) = %v, want ErrNoLab", err)
	}
	want := State{RunID: "abc", Regions: []RegionState{{Region: "lab-a", Alias: "db-lab-a", ContainerID: "c1", ServerID: 1}}, RootPassword: "p"}
	if err := want.Save(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("state file mode = %o, want 600 (it holds passwords)", mode)
	}
	got, err := LoadState(path)
	if err != nil || got.RunID != want.RunID || len(got.Regions) != 1 || got.Regions[0] != want.Regions[0] {
		t.Errorf("LoadState = %+v, %v; want %+v", got, err, want)
	}
	t.Setenv(StateFileEnv, path)
	if StatePath() != path {
		t.Errorf("StatePath() = %q, want %q from %s", StatePath(), path, StateFileEnv)
	}
}
