package main

import (
	"slices"
	"testing"
)

func TestGroupChange(t *testing.T) {
	for _, c := range []struct {
		set, add, remove string
		clear, ok        bool
		replace          bool
		wantAdd, wantRm  []string
	}{
		{set: "admins,dev", ok: true, replace: true, wantAdd: []string{"admins", "dev"}},
		{add: "ops", remove: "dev", ok: true, wantAdd: []string{"ops"}, wantRm: []string{"dev"}},
		{clear: true, ok: true, replace: true},
		{set: "a", add: "b"},
		{},
		{add: "bad name"},
		{remove: "a,b,", ok: true, wantRm: []string{"a", "b"}},
	} {
		got, err := groupChange("ann@example.com", c.set, c.add, c.remove, c.clear)
		if (err == nil) != c.ok {
			t.Errorf("%+v: err %v", c, err)
			continue
		}
		if c.ok && (got.Replace != c.replace || !slices.Equal(got.Add, c.wantAdd) || !slices.Equal(got.Remove, c.wantRm)) {
			t.Errorf("%+v: got %+v", c, got)
		}
	}
	if _, err := groupChange("", "a", "", "", false); err == nil {
		t.Error("no --email accepted")
	}
}
