package auth

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gatehouse/internal/store"
)

func TestParseGroups(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"admins", []string{"admins"}, true},
		{" admins , dev,,admins ", []string{"admins", "dev"}, true},
		{"team:ops,a.b_c-d", []string{"team:ops", "a.b_c-d"}, true},
		{"two words", nil, false},
		{"ünïcode", nil, false},
		{"tab\there", nil, false},
		{string(make([]byte, 65)), nil, false},
	} {
		got, err := ParseGroups(c.in)
		if (err == nil) != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("ParseGroups(%q) = %q, %v; want %q, ok=%v", c.in, got, err, c.want, c.ok)
		}
		var ve *ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Errorf("ParseGroups(%q): error %v is not a ValidationError", c.in, err)
		}
	}
}

func TestChangeGroupsAndIdentity(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.register(t, "ada@example.com", "2015550123")
	got, err := f.svc.ChangeGroups(ctx, " Ada@Example.com", store.GroupChange{Replace: true, Add: []string{"dev", "admins"}})
	if err != nil || !slices.Equal(got, []string{"admins", "dev"}) {
		t.Fatalf("set = %v, %v", got, err)
	}
	if got, err = f.svc.ChangeGroups(ctx, "ada@example.com", store.GroupChange{Remove: []string{"dev"}}); err != nil || !slices.Equal(got, []string{"admins"}) {
		t.Fatalf("remove = %v, %v", got, err)
	}
	if _, err := f.svc.ChangeGroups(ctx, "ada@example.com", store.GroupChange{Add: []string{"a,b"}}); err == nil {
		t.Fatal("a comma in a group name was accepted")
	}
	if _, err := f.svc.ChangeGroups(ctx, "nobody@example.com", store.GroupChange{Add: []string{"x"}}); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("unknown account: %v", err)
	}
	id, err := f.svc.Identity(ctx, a.ID)
	if err != nil || id.Email != "ada@example.com" || id.Name != "Ada Lovelace" || !slices.Equal(id.Groups, []string{"admins"}) {
		t.Fatalf("identity = %+v, %v", id, err)
	}
	if _, err := f.svc.Identity(ctx, "gone"); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("identity of a gone account: %v", err)
	}
}
