package lab

import (
	"slices"
	"strings"
	"time"
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
}

// keyOfTask returns the idempotency key a load-generator task carries.
func keyOfTask(task string) (string, bool) {
	return strings.CutPrefix(task, TaskPrefix)
}

// analyze computes WriteStats. stored counts the todos per key found on
// the writer (every key of the scenario's prefix).
func analyze(writes []Write, stored map[string]int) WriteStats {
	s := WriteStats{Writes: len(writes), Errors: map[string]int{}}
	var acks []time.Time
	var firstFail *Attempt
	for _, w := range writes {
		s.Attempts += len(w.Attempts)
		for i, a := range w.Attempts {
			if a.OK() {
				acks = append(acks, a.End)
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

// firstAck returns the completion time of the first acknowledgement at or
// after t served by region ("" for any).
func firstAck(writes []Write, t time.Time, region string) (time.Time, bool) {
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

func firstN(s []string, n int) []string {
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
