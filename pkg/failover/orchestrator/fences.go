package orchestrator

import (
	"context"
	"errors"
	"sync"

	"github.com/todomgmt/todomgmt/pkg/failover"
)

// readFences reads the id fence in every region at once, each read
// bounded by ctx (the probe timeout), so a region that does not answer
// costs one probe. A read that fails is recorded as not Known. It
// returns nil when the database cannot read fences in this deployment
// (an error wrapping failover.ErrNotApplicable).
func readFences(ctx context.Context, fr failover.FenceReader, regions []string) map[string]failover.FenceState {
	out := make(map[string]failover.FenceState, len(regions))
	notApplicable := false
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range regions {
		wg.Go(func() {
			f, err := fr.FenceState(ctx, r)
			if err != nil {
				f = failover.FenceState{Detail: err.Error()}
			}
			f.ReadIn, f.Known = r, err == nil
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, failover.ErrNotApplicable) {
				notApplicable = true
			}
			out[r] = f
		})
	}
	wg.Wait()
	if notApplicable {
		return nil
	}
	return out
}
