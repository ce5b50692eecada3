package load

import "testing"

func TestETagVersion(t *testing.T) {
	for _, tt := range []struct {
		etag string
		want int64
		ok   bool
	}{
		{`"3-5f0c2e9d1a7b4c68"`, 3, true},
		{`"12-0000000000000001"`, 12, true},
		{`"3"`, 0, false},                    // the bare version of earlier releases
		{`W/"3-5f0c2e9d1a7b4c68"`, 0, false}, // weak
		{`"3-5f0c2e9d1a7b4c6"`, 0, false},    // 15 hex digits
		{`"0-5f0c2e9d1a7b4c68"`, 0, false},
		{`"x-5f0c2e9d1a7b4c68"`, 0, false},
		{``, 0, false},
	} {
		if got, ok := etagVersion(tt.etag); got != tt.want || ok != tt.ok {
			t.Errorf("etagVersion(%s) = %d, %v; want %d, %v", tt.etag, got, ok, tt.want, tt.ok)
		}
	}
	if got, want := (Held{Version: 3, Tag: 0x5f0c2e9d1a7b4c68}).ETag(), `"3-5f0c2e9d1a7b4c68"`; got != want {
		t.Errorf("Held.ETag() = %s, want %s (the API's format)", got, want)
	}
}

func TestClassify(t *testing.T) {
	held := Holding{ByID: map[int64]Held{
		1: {ID: 1, Task: "drill k1", Version: 2, Tag: 0xb},
		2: {ID: 2, Task: "someone else's", Version: 1, Tag: 0xc},
	}}
	for _, tt := range []struct {
		name string
		id   int64
		task string
		etag string
		want ETagClass
	}{
		{"the write the writer holds", 1, "drill k1", `"2-000000000000000b"`, ETagCurrent},
		{"the same version, another write: lost", 1, "drill k1", `"2-000000000000000a"`, ETagLost},
		{"a later version the writer never got", 1, "drill k1", `"3-000000000000000a"`, ETagLost},
		{"an older version", 1, "drill k1", `"1-000000000000000a"`, ETagSuperseded},
		{"the todo is not held", 3, "drill k3", `"1-000000000000000a"`, ETagLost},
		{"the id names another todo", 2, "drill k2", `"1-000000000000000c"`, ETagLost},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.id, tt.task, tt.etag, held); got != tt.want {
				t.Errorf("classify = %s, want %s", got, tt.want)
			}
		})
	}
}
