package failover

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFenceMark: the marker is the fence with the highest term among the
// members that read one; a region outside the global database is shown
// and not counted; members that disagree at that term, or none that
// read it, give no marker.
func TestFenceMark(t *testing.T) {
	topo := Topology{ID: "g", Members: []Member{{Region: "a", Writer: true}, {Region: "b"}}}
	read := func(in, names string, term int64) FenceState {
		return FenceState{ReadIn: in, Known: true, Region: names, Term: term}
	}
	failed := func(in string) FenceState { return FenceState{ReadIn: in, Detail: "timeout"} }
	for _, tt := range []struct {
		name   string
		topo   Topology
		topErr error
		fences map[string]FenceState
		read   bool
		want   FenceMark
		text   string
	}{
		{name: "not read", topo: topo},
		{name: "both agree", topo: topo, fences: map[string]FenceState{"a": read("a", "a", 3), "b": read("b", "a", 3)}, read: true,
			want: FenceMark{Known: true, Fence: read("a", "a", 3), Reads: []FenceReadout{{read("a", "a", 3), true}, {read("b", "a", 3), true}}},
			text: "names a (term 3); read in a names a (term 3); b names a (term 3)"},
		{name: "a replica one fence behind", topo: topo, fences: map[string]FenceState{"a": read("a", "b", 4), "b": read("b", "a", 3)}, read: true,
			want: FenceMark{Known: true, Fence: read("a", "b", 4), Reads: []FenceReadout{{read("a", "b", 4), true}, {read("b", "a", 3), true}}}},
		{name: "one read failed", topo: topo, fences: map[string]FenceState{"a": failed("a"), "b": read("b", "a", 3)}, read: true,
			want: FenceMark{Known: true, Fence: read("b", "a", 3), Reads: []FenceReadout{{failed("a"), true}, {read("b", "a", 3), true}}},
			text: "names a (term 3); read in a cannot read: timeout; b names a (term 3)"},
		{name: "none read", topo: topo, fences: map[string]FenceState{"a": failed("a"), "b": failed("b")}, read: true,
			want: FenceMark{Why: "no member of the global database could read it", Reads: []FenceReadout{{failed("a"), true}, {failed("b"), true}}}},
		{name: "members disagree at the highest term", topo: topo, fences: map[string]FenceState{"a": read("a", "a", 2), "b": read("b", "b", 2)}, read: true,
			want: FenceMark{Why: "the members disagree at term 2 (a reads a, b reads b)", Reads: []FenceReadout{{read("a", "a", 2), true}, {read("b", "b", 2), true}}}},
		{name: "a detached region is not counted", topo: Topology{ID: "g", Members: topo.Members[:1]},
			fences: map[string]FenceState{"a": read("a", "a", 1), "b": read("b", "b", 2)}, read: true,
			want: FenceMark{Known: true, Fence: read("a", "a", 1), Reads: []FenceReadout{{read("a", "a", 1), true}, {read("b", "b", 2), false}}},
			text: "names a (term 1); read in a names a (term 1); b names b (term 2), not a member of the global database: not counted"},
		{name: "the topology unreadable: nothing counts, membership unknown", topErr: errors.New("timeout"), fences: map[string]FenceState{"a": read("a", "a", 1)}, read: true,
			want: FenceMark{Why: "the global database's members are unknown (its topology could not be read)", Reads: []FenceReadout{{read("a", "a", 1), false}}, MembersUnknown: true},
			text: "unknown: the global database's members are unknown (its topology could not be read); read in a names a (term 1)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := State{Topology: tt.topo, TopologyErr: tt.topErr, Fences: tt.fences}
			got, ok := s.FenceMark()
			if ok != tt.read {
				t.Fatalf("FenceMark read = %t, want %t", ok, tt.read)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mark (-want +got):\n%s", diff)
			}
			if tt.text != "" && got.String() != tt.text {
				t.Errorf("String() = %q, want %q", got.String(), tt.text)
			}
		})
	}
}

// TestProblemsNameAnUnfinishedMove: status (and lab:status) fail while the
// fence does not name the writer, and say nothing of a fence that does,
// or of one nobody could read.
func TestProblemsNameAnUnfinishedMove(t *testing.T) {
	topo := Topology{ID: "g", Members: []Member{{Region: "a", Writer: true}, {Region: "b"}}}
	read := func(in, names string, term int64) FenceState {
		return FenceState{ReadIn: in, Known: true, Region: names, Term: term}
	}
	const want = "the id fence names b (term 4) but the writer is in a: a move to a has not finished"
	for _, tt := range []struct {
		name   string
		fences map[string]FenceState
		found  bool
	}{
		{"the fence names the writer", map[string]FenceState{"a": read("a", "a", 4), "b": read("b", "a", 4)}, false},
		{"the fence names the other region", map[string]FenceState{"a": read("a", "b", 4), "b": read("b", "b", 4)}, true},
		{"no fence read", map[string]FenceState{"a": {ReadIn: "a", Detail: "timeout"}}, false},
		{"not a fence reader", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := State{Topology: topo, Active: "a", Fences: tt.fences}
			got := strings.Join(s.Problems(), "\n")
			if strings.Contains(got, want) != tt.found {
				t.Errorf("problems %q: want %q present = %t", got, want, tt.found)
			}
		})
	}
}
