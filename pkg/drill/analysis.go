package drill

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/todomgmt/todomgmt/pkg/drill/load"
)

// WriteStats is what a scenario's writes show, from the load generator's
// records and the rows the writer holds afterwards.
type WriteStats struct {
	Writes   int `json:"writes"`
	Acked    int `json:"acked"`
	Attempts int `json:"attempts"`
	// Lost counts writes acknowledged by the API whose todo is absent from
	// the writer afterwards.
	Lost     int      `json:"lost"`
	LostKeys []string `json:"lostKeys,omitempty"`
	// Duplicates counts idempotency keys whose todo exists more than once.
	Duplicates    int      `json:"duplicates"`
	DuplicateKeys []string `json:"duplicateKeys,omitempty"`
	// AppliedUnacked counts writes stored although the client never got
	// an acknowledgement (it gave up when the load stopped).
	AppliedUnacked int `json:"appliedUnacked"`
	// Unacked counts writes never acknowledged.
	Unacked int `json:"unacked"`
	// ServedBy counts the acknowledged writes by the region that served
	// them (the API's region header).
	ServedBy map[string]int `json:"servedBy"`
	// Errors counts failed attempts by status and error code.
	Errors map[string]int `json:"errors"`
	// ReadBackFailures counts acknowledged writes that could not be read
	// back through the front door right after.
	ReadBackFailures int `json:"readBackFailures"`
	// WriteGap is the time from the start of the first failed attempt to
	// the first acknowledgement after it (0 when nothing failed; until the
	// last attempt when nothing was acknowledged after it).
	WriteGap time.Duration `json:"writeGapNs"`
	// MaxAckSilence is the longest time between two consecutive
	// acknowledgements: it also counts writes that stalled without failing.
	MaxAckSilence time.Duration `json:"maxAckSilenceNs"`

	// Updates counts the updates acknowledged before the switch;
	// LostUpdates those the writer did not hold after it (acknowledged
	// by the old writer, never replicated). UpdateErrors counts the
	// failed ones by status and code.
	Updates      int            `json:"updates"`
	LostUpdates  int            `json:"lostUpdates"`
	UpdateErrors map[string]int `json:"updateErrors,omitempty"`
	// ReusedIDs counts ids the API gave to more than one create (two
	// idempotency keys): an id acknowledged before the fault and handed
	// out again after it. ReusedIDSample lists some.
	ReusedIDs      int     `json:"reusedIds"`
	ReusedIDSample []int64 `json:"reusedIdSample,omitempty"`
	// The conditional writes after the switch (load.CondWrite), by what their
	// ETag named. StaleETagWrites sent an ETag that named no write the
	// writer held (LostETagWrites of them: a write lost with the old
	// writer); StaleETagAccepted counts those that matched anyway, by
	// their answer or by what the writer holds at the end (a refused
	// write must leave the todo as it was); StaleETagOutcomes their
	// answers. CurrentETagWrites sent the ETag the writer held;
	// CurrentETagRefused counts those answered 412 (If-Match must keep
	// working across the switch).
	StaleETagWrites    int            `json:"staleEtagWrites"`
	LostETagWrites     int            `json:"lostEtagWrites"`
	StaleETagAccepted  int            `json:"staleEtagAccepted"`
	StaleETagOutcomes  map[string]int `json:"staleEtagOutcomes,omitempty"`
	CurrentETagWrites  int            `json:"currentEtagWrites"`
	CurrentETagRefused int            `json:"currentEtagRefused"`
	// ConditionalErrors counts the conditional writes (catch-ups
	// included) that got no answer or a 5xx.
	ConditionalErrors map[string]int `json:"conditionalErrors,omitempty"`
}

// ReadStats is what the reads in the target region showed, from the
// start of the switch to the end of the scenario.
type ReadStats struct {
	Region string `json:"region"`
	Reads  int    `json:"reads"`
	// Failures counts the reads that did not answer with the todo: no
	// answer, a status other than 200 and 404, a 200 with another todo,
	// or a 404 for a todo the region's writer holds (one it acknowledged
	// before the read, or held after the switch, not deleted since).
	Failures int `json:"failures"`
	// Statuses counts every read's outcome.
	Statuses map[string]int `json:"statuses"`
	// FailureSample describes some failures, with the time since the
	// switch.
	FailureSample []string `json:"failureSample,omitempty"`
}

// keyOfTask returns the idempotency key a load-generator task carries.
func keyOfTask(task string) (string, bool) {
	return strings.CutPrefix(task, load.TaskPrefix)
}

// analyze computes WriteStats. stored counts the todos per key found on
// the writer (every key of the scenario's prefix).
func analyze(writes []load.Write, stored map[string]int) WriteStats {
	s := WriteStats{Writes: len(writes), Errors: map[string]int{}, ServedBy: map[string]int{}}
	var acks []time.Time
	var firstFail *load.Attempt
	for _, w := range writes {
		s.Attempts += len(w.Attempts)
		for i, a := range w.Attempts {
			if a.OK() {
				acks = append(acks, a.End)
				s.ServedBy[orUnknown(a.Region)]++
				continue
			}
			s.Errors[a.Label()]++
			if firstFail == nil || a.Start.Before(firstFail.Start) {
				firstFail = &w.Attempts[i]
			}
		}
		n := stored[w.Key]
		switch {
		case w.Acked:
			s.Acked++
			if n == 0 {
				s.Lost++
				s.LostKeys = append(s.LostKeys, w.Key)
			}
			if w.ReadBack != 200 {
				s.ReadBackFailures++
			}
		default:
			s.Unacked++
			if n > 0 {
				s.AppliedUnacked++
			}
		}
		if n > 1 {
			s.Duplicates++
			s.DuplicateKeys = append(s.DuplicateKeys, w.Key)
		}
	}
	slices.SortFunc(acks, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(acks); i++ {
		if d := acks[i].Sub(acks[i-1]); d > s.MaxAckSilence {
			s.MaxAckSilence = d
		}
	}
	if firstFail != nil {
		end := time.Time{}
		for _, t := range acks {
			if t.After(firstFail.End) {
				end = t
				break
			}
		}
		if end.IsZero() {
			// Never recovered within the scenario: the gap lasts at least
			// until the last attempt.
			for _, w := range writes {
				for _, a := range w.Attempts {
					if a.End.After(end) {
						end = a.End
					}
				}
			}
		}
		s.WriteGap = end.Sub(firstFail.Start)
	}
	slices.Sort(s.LostKeys)
	slices.Sort(s.DuplicateKeys)
	s.LostKeys = firstN(s.LostKeys, 20)
	s.DuplicateKeys = firstN(s.DuplicateKeys, 20)
	return s
}

// storedUnion counts the load's todos per key in either holding: a todo
// held after the switch was not lost, even when a conditional write
// deleted it later.
func storedUnion(hs ...load.Holding) map[string]int {
	out := map[string]int{}
	for _, h := range hs {
		for k, n := range countByKey(h) {
			out[k] = max(out[k], n)
		}
	}
	return out
}

// countByKey counts the held todos per load-generator key.
func countByKey(h load.Holding) map[string]int {
	out := map[string]int{}
	for _, t := range h.ByID {
		if key, ok := keyOfTask(t.Task); ok {
			out[key]++
		}
	}
	return out
}

// analyzeSwitch adds to ws what the updates, the conditional writes and
// the reads show across the switch to region to: held is what the writer
// held after the switch, final what it holds at the end.
func analyzeSwitch(ws *WriteStats, res load.Result, held, final load.Holding, to string) ReadStats {
	ws.UpdateErrors = map[string]int{}
	for _, u := range res.Updates {
		if !u.Attempt.OK() {
			ws.UpdateErrors[u.Attempt.Label()]++
			continue
		}
		ws.Updates++
		h, ok := held.ByID[u.ID]
		if !ok || h.Task != load.TaskPrefix+u.Key || h.Version < u.Version || h.Version == u.Version && h.ETag() != u.ETag {
			ws.LostUpdates++
		}
	}

	keysByID := map[int64][]string{}
	for _, w := range res.Writes {
		if w.Acked && !slices.Contains(keysByID[w.ID], w.Key) {
			keysByID[w.ID] = append(keysByID[w.ID], w.Key)
		}
	}
	for id, keys := range keysByID {
		if len(keys) > 1 {
			ws.ReusedIDs++
			ws.ReusedIDSample = append(ws.ReusedIDSample, id)
		}
	}
	slices.Sort(ws.ReusedIDSample)
	ws.ReusedIDSample = firstN(ws.ReusedIDSample, 20)

	ws.StaleETagOutcomes, ws.ConditionalErrors = map[string]int{}, map[string]int{}
	deleted := map[int64]time.Time{} // id → start of the first DELETE sent to it
	for _, c := range res.Conditional {
		for _, u := range c.CatchUp {
			if u.Attempt.Status == 0 || u.Attempt.Status >= 500 {
				ws.ConditionalErrors[u.Attempt.Label()]++
			}
		}
		if c.Attempt.Status == 0 || c.Attempt.Status >= 500 {
			ws.ConditionalErrors[c.Attempt.Label()]++
		}
		if c.Method == http.MethodDelete {
			if t, ok := deleted[c.ID]; !ok || c.Attempt.Start.Before(t) {
				deleted[c.ID] = c.Attempt.Start
			}
		}
		if c.Class == load.ETagCurrent {
			ws.CurrentETagWrites++
			if c.Attempt.Status == http.StatusPreconditionFailed {
				ws.CurrentETagRefused++
			}
			continue
		}
		ws.StaleETagWrites++
		if c.Class == load.ETagLost {
			ws.LostETagWrites++
		}
		outcome := c.Attempt.Label()
		accepted := c.Attempt.OK()
		if !accepted && c.ExpectKnown {
			// A refused write leaves the todo as it was; one that got no
			// answer shows here whether it was applied.
			if f, ok := final.ByID[c.ID]; !ok || f.ETag() != c.Expect {
				accepted = true
				outcome += ", yet the todo changed"
			}
		}
		ws.StaleETagOutcomes[outcome]++
		if accepted {
			ws.StaleETagAccepted++
		}
	}
	return analyzeReads(res, held, to, deleted)
}

// analyzeReads counts the reads in the target region and their failures.
func analyzeReads(res load.Result, held load.Holding, to string, deleted map[int64]time.Time) ReadStats {
	rs := ReadStats{Region: to, Statuses: map[string]int{}}
	type created struct {
		task, region string
		at           time.Time
	}
	acked := map[int64]created{}
	for _, w := range res.Writes {
		if !w.Acked {
			continue
		}
		for _, a := range w.Attempts {
			if a.OK() {
				acked[w.ID] = created{task: w.Task, region: a.Region, at: a.End}
			}
		}
	}
	for _, r := range res.Reads {
		rs.Reads++
		label := r.Attempt.Label()
		if r.Other {
			label = "200 another todo"
		}
		rs.Statuses[label]++
		failed := r.Other || r.Attempt.Status != http.StatusOK && r.Attempt.Status != http.StatusNotFound
		if r.Attempt.Status == http.StatusNotFound {
			del, wasDeleted := deleted[r.ID]
			gone := wasDeleted && del.Before(r.Attempt.End)
			c := acked[r.ID]
			h, isHeld := held.ByID[r.ID]
			// The region's writer acknowledged it before this read, or
			// held it when the read started: it must be there.
			there := c.region == to && c.at.Before(r.Attempt.Start) ||
				isHeld && h.Task == load.TaskPrefix+r.Key && !held.At.IsZero() && held.At.Before(r.Attempt.Start)
			if there && !gone {
				failed = true
				label = "404 for a todo the writer holds"
			}
		}
		if failed {
			rs.Failures++
			if len(rs.FailureSample) < 10 {
				rs.FailureSample = append(rs.FailureSample, fmt.Sprintf("todo %d at %+.3fs after the switch: %s",
					r.ID, r.Attempt.Start.Sub(res.SwitchAt).Seconds(), label))
			}
		}
	}
	return rs
}

// firstAck returns the completion time of the first acknowledgement at or
// after t served by region ("" for any).
func firstAck(writes []load.Write, t time.Time, region string) (time.Time, bool) {
	var best time.Time
	for _, w := range writes {
		for _, a := range w.Attempts {
			if a.OK() && !a.End.Before(t) && (region == "" || a.Region == region) && (best.IsZero() || a.End.Before(best)) {
				best = a.End
			}
		}
	}
	return best, !best.IsZero()
}

// orUnknown names an answer's region, "unknown" when it named none.
func orUnknown(region string) string {
	if region == "" {
		return "unknown"
	}
	return region
}

func firstN[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// median returns the median of xs (the mean of the middle two for an
// even count), 0 for none.
func median[T ~int64 | ~int | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
