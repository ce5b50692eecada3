package awsops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// RunFile keeps the last failover run's record as JSON in one file, so
// that running a failover target again after a failed write check
// finishes that run instead of switching back (failover.RunLog).
type RunFile struct {
	Path string
}

var _ failover.RunLog = RunFile{}

// LastRun reads the record; a missing file is no record.
func (f RunFile) LastRun(context.Context) (failover.RunRecord, bool, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return failover.RunRecord{}, false, nil
	}
	if err != nil {
		return failover.RunRecord{}, false, err
	}
	var r failover.RunRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return failover.RunRecord{}, false, fmt.Errorf("%s: %w", f.Path, err)
	}
	return r, true, nil
}

// RecordRun replaces the record (WriteFileAtomic).
func (f RunFile) RecordRun(_ context.Context, r failover.RunRecord) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(f.Path, append(b, '\n'))
}

// Clear removes the record: destroy calls it, since a new deployment
// starts without history.
func (f RunFile) Clear() error {
	if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// RunFileOf returns the file keeping e's last failover run:
// <cache dir>/last-run/<global cluster>.json. ok is false without a
// cache directory.
func RunFileOf(e *Env) (f RunFile, ok bool) {
	if e.Stacks == nil || e.Stacks.CacheDir == "" {
		return RunFile{}, false
	}
	id := e.GlobalClusterID()
	if id == "" {
		id = e.Config.AppName()
	}
	return RunFile{Path: filepath.Join(e.Stacks.CacheDir, "last-run", id+".json")}, true
}
