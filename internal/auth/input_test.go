package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"gatehouse/internal/phone"
)

func TestNormalizeEmailSpellings(t *testing.T) {
	tests := []struct {
		name string
		in   []string // spellings of one address
		want string
	}{
		{"case and space", []string{"Ada@Example.COM", "  ada@example.com\t", "ADA@EXAMPLE.COM"}, "ada@example.com"},
		{"IDNA domain", []string{"ada@BÜCHER.example", "ada@bücher.example", "ada@b\u0075\u0308cher.example", "ada@xn--bcher-kva.example", "ada@XN--BCHER-KVA.example"}, "ada@xn--bcher-kva.example"},
		{"NFC local part", []string{"jos\u00e9@example.com", "jos\u0065\u0301@example.com", "JOS\u00c9@example.com", "JOS\u0045\u0301@example.com"}, "jos\u00e9@example.com"},
		{"full-width domain", []string{"ada@ｅｘａｍｐｌｅ.com"}, "ada@example.com"},
		{"sharp s kept", []string{"ada@faß.de"}, "ada@xn--fa-hia.de"},
		{"no at sign", []string{" NoAt "}, "noat"},
	}
	for _, tt := range tests {
		for _, in := range tt.in {
			if got := NormalizeEmail(in); got != tt.want {
				t.Errorf("%s: NormalizeEmail(%q) = %q, want %q", tt.name, in, got, tt.want)
			}
		}
	}
}

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		in, want string
		msg      string // substring of the field message; "" = accepted
	}{
		{"Ada@Example.com", "ada@example.com", ""},
		{"ada@BÜCHER.example", "ada@xn--bcher-kva.example", ""},
		{"josé@example.com", "josé@example.com", ""},
		{"", "", "Enter your email"},
		{"   ", "", "Enter your email"},
		{"ada", "", "valid email"},
		{"ada@localhost", "", "valid email"},
		{"Ada <ada@example.com>", "", "valid email"},
		{strings.Repeat("a", 65) + "@example.com", "", "valid email"},
		{"ada@" + strings.Repeat("a", 250) + ".com", "", "too long"},
		{"ada@" + strings.Repeat("a", 64) + ".com", "", "domain"},
		{"ada@example.com.", "", "valid email"},
		{"ada@exa_mple.com", "", "domain"},
		{"ada@-example.com", "", "domain"},
		{"ada@xn--zz.com", "", "domain"},
		{"ada@\u0031\u05d0.com", "", "domain"}, // breaks the bidi rule
		{"ada\x00@example.com", "", "invisible, control"},
		{"ada@example.com\x00", "", "invisible, control"},
		{"ada\u202e@example.com", "", "invisible, control"},
		{"ada@exa\u2067mple.com", "", "invisible, control"},
		{"ada\u200f@example.com", "", "invisible, control"},
		{"ad\u200ba@example.com", "", "invisible, control"},
		{"ada@exam\u200dple.com", "", "invisible, control"},
		{"\ufeffada@example.com", "", "invisible, control"},
		{"ada\u0085@example.com", "", "invisible, control"},
		{"ada@example.com\xff", "", "invisible, control"},
	}
	for _, tt := range tests {
		got, msg := checkEmail(tt.in)
		if got != tt.want || (tt.msg == "") != (msg == "") || !strings.Contains(msg, tt.msg) {
			t.Errorf("checkEmail(%q) = %q, %q; want %q, %q", tt.in, got, msg, tt.want, tt.msg)
		}
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		in, want string
		msg      string
	}{
		{"  Ada ", "Ada", ""},
		{"Zoë", "Zoë", ""},
		{"José María", "José María", ""},
		{"Тарас", "Тарас", ""},
		{"", "", "Enter your first name"},
		{strings.Repeat("é", 100), strings.Repeat("é", 100), ""},
		{strings.Repeat("é", 101), "", "at most 100"},
		{"Ada\x00", "", "invalid characters"},
		{"Ada\nLovelace", "", "invalid characters"},
		{"Ada\u202eecalevol", "", "invalid characters"},
		{"A\u200bda", "", "invalid characters"},
		{"Ada\u2066", "", "invalid characters"},
		{"\xffAda", "", "invalid characters"},
	}
	for _, tt := range tests {
		got, msg := checkName(tt.in, "first name")
		if got != tt.want || (tt.msg == "") != (msg == "") || !strings.Contains(msg, tt.msg) {
			t.Errorf("checkName(%q) = %q, %q; want %q, %q", tt.in, got, msg, tt.want, tt.msg)
		}
	}
}

func TestCheckText(t *testing.T) {
	bad := []string{
		"\x00", "\x07", "\t", "\r", "\x7f", "\u0080", "\u009f",
		"\u2028", "\u2029",
		"\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
		"\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c",
		"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
		"\xc3",
	}
	for _, r := range bad {
		if err := CheckText("ok" + r + "ok"); !errors.Is(err, ErrForbiddenText) {
			t.Errorf("CheckText(%q) = %v, want ErrForbiddenText", r, err)
		}
	}
	good := []string{"", "Ada Lovelace", "O'Brien-Smith", "李小龍", "مريم", "🙂", "a\u0301"}
	for _, s := range good {
		if err := CheckText(s); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", s, err)
		}
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"ada@example.com", "ADA@BÜCHER.example", "jos\u0065\u0301@example.com",
		"a@b@c", "@", "", " x ", "ada@xn--bcher-kva.example", "ada@ｅｘａｍｐｌｅ.com",
		"\xff@\xfe", "İ@İ.com", "ß@ß.de", "a@\u0301", "ǅ@ǅ", "\u2000a@b\u2000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeEmail(s)
		if again := NormalizeEmail(n); again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, again)
		}
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 from valid input: %q -> %q", s, n)
		}
		if e, msg := checkEmail(s); msg == "" && e != n {
			t.Fatalf("checkEmail(%q) = %q, NormalizeEmail = %q", s, e, n)
		} else if msg == "" && NormalizeEmail(e) != e {
			t.Fatalf("accepted email %q is not normal", e)
		}
	})
}

// TestPhoneHintSendable keeps the example numbers in the phone field's
// message ones an SMS could go to: a landline there would teach people to
// type a number that is then refused.
func TestPhoneHintSendable(t *testing.T) {
	s := &Service{region: "US"}
	_, msg := s.checkPhone("not a number")
	for _, ex := range []struct{ text, region string }{{"(201) 555-0123", "US"}, {"+44 7400 123456", "GB"}} {
		if !strings.Contains(msg, ex.text) {
			t.Fatalf("hint %q lacks %q", msg, ex.text)
		}
		e164, err := phone.Normalize(ex.text, "US")
		if err != nil {
			t.Fatalf("hint number %q: %v", ex.text, err)
		}
		if err := phone.Sendable(e164, []string{ex.region}); err != nil {
			t.Errorf("hint number %q not sendable: %v", ex.text, err)
		}
	}
}
