package phone

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, region, want string
		ok               bool
	}{
		{"(201) 555-6053", "US", "+12015556053", true},
		{"201.555.6053", "US", "+12015556053", true},
		{"+1 201 555 6053", "GB", "+12015556053", true},
		{"0012015556053", "GB", "+12015556053", true},
		{"020 7946 0018", "GB", "+442079460018", true},
		{"12345", "US", "", false},
		{"", "US", "", false},
		{"not a phone", "US", "", false},
		{"+1 201 555 6053 ext", "US", "", false},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in, tt.region)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("Normalize(%q, %s) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
		}
		if !tt.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
		}
	}
}

func TestMask(t *testing.T) {
	if got := Mask("+12015556053", "US"); got != "(***) ***-6053" {
		t.Errorf("US mask = %q", got)
	}
	if got := Mask("+442079460018", "US"); got != "+44 ** **** 0018" {
		t.Errorf("GB mask = %q", got)
	}
	if got := Mask("", "US"); got != "" {
		t.Errorf("empty mask = %q", got)
	}
}
