package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
)

// StateFileEnv overrides the state file's path.
const StateFileEnv = "TODOMGMT_LAB_STATE"

// State is what a process needs to reach a running lab: `lab:up` writes
// it to StatePath, `lab:status` and `lab:failover` read it. It holds the
// lab's throwaway passwords, so it is written with mode 0600.
type State struct {
	RunID        string        `json:"runId"`
	PID          int           `json:"pid,omitempty"`
	Started      time.Time     `json:"started"`
	Image        string        `json:"image"`
	Flavour      string        `json:"flavour"`
	Schema       string        `json:"schema"`
	Host         string        `json:"host"`
	Regions      []RegionState `json:"regions"`
	FrontDoorURL string        `json:"frontDoorUrl"`
	AdminURL     string        `json:"adminUrl"`
	RootPassword string        `json:"rootPassword"`
	ReplUser     string        `json:"replUser"`
	ReplPassword string        `json:"replPassword"`
	AppUser      string        `json:"appUser"`
	AppPassword  string        `json:"appPassword"`
}

// RegionState is one lab region.
type RegionState struct {
	Region      string `json:"region"`
	Alias       string `json:"alias"`
	ContainerID string `json:"containerId"`
	ServerID    uint32 `json:"serverId"`
	APIURL      string `json:"apiUrl"`
}

// StatePath is where lab:up keeps the running lab's State: $TODOMGMT_LAB_STATE,
// else todomgmt/lab.json in the user's cache directory (else the temp
// directory).
func StatePath() string {
	if p := os.Getenv(StateFileEnv); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "todomgmt", "lab.json")
}

// Save writes the state to path (mode 0600).
func (s State) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// ErrNoLab is returned by LoadState when no lab is running.
var ErrNoLab = errors.New("no lab is running: start one with `go tool mage lab:up` in another terminal")

// LoadState reads the state lab:up wrote.
func LoadState(path string) (State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, ErrNoLab
	}
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func (s State) regionNames() []string {
	out := make([]string, len(s.Regions))
	for i, r := range s.Regions {
		out[i] = r.Region
	}
	return out
}

// database is the lab's global database over ctrs.
func (s State) database(ctrs globaldb.Containers) *globaldb.Database {
	cfg := globaldb.Config{ID: "lab-" + s.RunID, Schema: s.Schema,
		RootPassword: s.RootPassword, ReplUser: s.ReplUser, ReplPassword: s.ReplPassword}
	for _, r := range s.Regions {
		cfg.Servers = append(cfg.Servers, globaldb.Server{Region: r.Region, Alias: r.Alias, ContainerID: r.ContainerID, ServerID: r.ServerID})
	}
	return globaldb.Open(cfg, ctrs)
}

// Remote is a lab run by another process (lab:up), reached through its
// State: the database through the containers' published ports, the front
// door through its admin URL, the APIs through their URLs.
type Remote struct {
	State  State
	DB     *globaldb.Database
	Router RouterClient
	Prober *apiclient.Prober
	ctrs   *dockerContainers
}

// Attach reaches the lab described by s, checking that its front door
// answers (else the lab has gone and the state file is stale).
func Attach(ctx context.Context, s State) (*Remote, error) {
	r := &Remote{State: s, ctrs: newDockerContainers(s.Host)}
	r.DB = s.database(r.ctrs)
	r.Router = RouterClient{AdminURL: s.AdminURL}
	apis := map[string]string{}
	for _, reg := range s.Regions {
		apis[reg.Region] = reg.APIURL
	}
	r.Prober = newProber(apis, s.FrontDoorURL)
	actx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := r.Router.Active(actx); err != nil {
		r.Close()
		return nil, fmt.Errorf("%w (the state file %s names run %s, whose front door does not answer: %v; `go tool mage lab:down` removes leftovers)",
			ErrNoLab, StatePath(), s.RunID, err)
	}
	return r, nil
}

// Regions returns the lab's regions.
func (r *Remote) Regions() []string { return r.State.regionNames() }

// Orchestrator returns the real orchestrator over the remote lab.
func (r *Remote) Orchestrator(approver orchestrator.Approver, printer orchestrator.Printer) *orchestrator.Orchestrator {
	return newOrchestrator(r.DB, r.Router, r.Prober, r.Regions(), approver, printer)
}

// Close closes the connections to the lab (the lab keeps running).
func (r *Remote) Close() error {
	return errors.Join(r.DB.Close(), r.ctrs.Close())
}
