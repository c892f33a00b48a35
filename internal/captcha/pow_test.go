package captcha

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// newTestPoW returns a PoW with a fake spender, a fixed clock and seeded randomness.
func newTestPoW(t testing.TB, maxNumber int64) (*PoW, *fakeSpender, *clock) {
	t.Helper()
	sp, clk := newFakeSpender(), &clock{t: testStart}
	p, err := NewPoW(PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: sp, MaxNumber: maxNumber, Now: clk.Now, Rand: seeded(1)})
	if err != nil {
		t.Fatal(err)
	}
	return p, sp, clk
}

// payload is the solution a browser submits, as a generic map so tests can
// break its types.
func payload(c Challenge, n int64) map[string]any {
	return map[string]any{"algorithm": c.Algorithm, "challenge": c.Challenge, "number": n, "salt": c.Salt, "signature": c.Signature}
}

func encode(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// signed builds a payload for salt and n signed with key, bypassing Challenge.
func signed(key []byte, salt string, n int64) map[string]any {
	c := powHash(salt, n)
	return map[string]any{"algorithm": "SHA-256", "challenge": c, "number": n, "salt": salt, "signature": macHex(key, c)}
}

func TestChallengeShape(t *testing.T) {
	p, _, _ := newTestPoW(t, 0)
	c, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(m)), []string{"algorithm", "challenge", "maxnumber", "salt", "signature"}; !slices.Equal(got, want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
	if m["algorithm"] != "SHA-256" {
		t.Errorf("algorithm = %v", m["algorithm"])
	}
	if m["maxnumber"] != float64(100000) {
		t.Errorf("maxnumber = %v, want the default 100000", m["maxnumber"])
	}
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, k := range []string{"challenge", "signature"} {
		if s, _ := m[k].(string); !hex64.MatchString(s) {
			t.Errorf("%s = %q, want 64 lowercase hex digits", k, s)
		}
	}
	salt, _ := m["salt"].(string)
	sm := regexp.MustCompile(`^[0-9a-f]{24}\?expires=(\d+)$`).FindStringSubmatch(salt)
	if sm == nil {
		t.Fatalf("salt = %q, want <hex>?expires=<unix>", salt)
	}
	if want := strconv.FormatInt(testStart.Add(5*time.Minute).Unix(), 10); sm[1] != want {
		t.Errorf("expires = %s, want %s (now + 5m)", sm[1], want)
	}
	mac := hmac.New(sha256.New, testKey)
	mac.Write([]byte(c.Challenge))
	if want := hex.EncodeToString(mac.Sum(nil)); c.Signature != want {
		t.Errorf("signature = %s, want HMAC-SHA256(key, challenge) = %s", c.Signature, want)
	}
	n := solve(t, c)
	if err := p.Verify(context.Background(), encode(t, payload(c, n)), ""); err != nil {
		t.Fatalf("solved default challenge: %v", err)
	}
}

func TestChallengeRandomness(t *testing.T) {
	p, _, _ := newTestPoW(t, 3)
	seen := map[int64]int{}
	salts := map[string]bool{}
	for range 200 {
		c, err := p.Challenge()
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxNumber != 3 {
			t.Fatalf("maxnumber = %d", c.MaxNumber)
		}
		seen[solve(t, c)]++
		salts[c.Salt] = true
	}
	if len(seen) != 4 {
		t.Errorf("numbers drawn = %v, want all of 0..3", seen)
	}
	if len(salts) != 200 {
		t.Errorf("%d distinct salts in 200 challenges", len(salts))
	}

	// The same seed gives the same challenge: the Rand option is honoured.
	a, _, _ := newTestPoW(t, 0)
	b, _, _ := newTestPoW(t, 0)
	ca, _ := a.Challenge()
	cb, _ := b.Challenge()
	if ca != cb {
		t.Errorf("same seed, different challenges: %+v, %+v", ca, cb)
	}
}

func TestChallengeRandFailure(t *testing.T) {
	p, err := NewPoW(PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: newFakeSpender(), Rand: iotest.ErrReader(errors.New("no entropy"))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Challenge()
	wantErr(t, err, ErrUnavailable)
}

func TestPoWVerify(t *testing.T) {
	otherKey := []byte("another key of thirty-two bytes!")
	expOK := strconv.FormatInt(testStart.Add(4*time.Minute).Unix(), 10)
	tests := []struct {
		name    string
		token   func(t *testing.T, c Challenge, n int64) string
		advance time.Duration // clock moves before Verify
		spErr   error         // the spender fails
		want    error
	}{
		{name: "solved", token: func(t *testing.T, c Challenge, n int64) string { return encode(t, payload(c, n)) }},
		{name: "url-safe unpadded", token: func(t *testing.T, c Challenge, n int64) string {
			return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(encode(t, payload(c, n))), "=")
		}},
		{name: "std unpadded", token: func(t *testing.T, c Challenge, n int64) string {
			return strings.TrimRight(encode(t, payload(c, n)), "=")
		}},
		{name: "extra ALTCHA field took", token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["took"] = 812
			return encode(t, m)
		}},
		{name: "just before expiry", advance: 5*time.Minute - time.Second, token: func(t *testing.T, c Challenge, n int64) string { return encode(t, payload(c, n)) }},
		{name: "empty", want: ErrMissing, token: func(*testing.T, Challenge, int64) string { return "" }},
		{name: "blank", want: ErrMissing, token: func(*testing.T, Challenge, int64) string { return " \n" }},
		{name: "bad base64", want: ErrInvalid, token: func(*testing.T, Challenge, int64) string { return "not*base64!" }},
		{name: "bad JSON", want: ErrInvalid, token: func(*testing.T, Challenge, int64) string {
			return base64.StdEncoding.EncodeToString([]byte(`{"algorithm":"SHA-256",`))
		}},
		{name: "JSON array", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string { return encode(t, []any{c.Challenge, n}) }},
		{name: "JSON null", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string { return encode(t, nil) }},
		{name: "trailing garbage", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			b, _ := json.Marshal(payload(c, n))
			return base64.StdEncoding.EncodeToString(append(b, "x"...))
		}},
		{name: "number as string", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["number"] = strconv.FormatInt(n, 10)
			return encode(t, m)
		}},
		{name: "number fractional", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["number"] = float64(n) + 0.5
			return encode(t, m)
		}},
		{name: "number missing", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			delete(m, "number")
			return encode(t, m)
		}},
		{name: "number null", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["number"] = nil
			return encode(t, m)
		}},
		{name: "salt as array", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["salt"] = []string{c.Salt}
			return encode(t, m)
		}},
		{name: "signature as number", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["signature"] = 1
			return encode(t, m)
		}},
		{name: "tampered signature", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["signature"] = flip(c.Signature)
			return encode(t, m)
		}},
		{name: "uppercase signature", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["signature"] = strings.ToUpper(c.Signature)
			return encode(t, m)
		}},
		{name: "signature missing", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			delete(m, "signature")
			return encode(t, m)
		}},
		{name: "tampered number", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string { return encode(t, payload(c, n+1)) }},
		{name: "negative number", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string { return encode(t, payload(c, -n-1)) }},
		{name: "tampered salt", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["salt"] = flip(c.Salt)
			return encode(t, m)
		}},
		{name: "extended expiry", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["salt"] = c.Salt + "0"
			return encode(t, m)
		}},
		{name: "tampered challenge", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["challenge"] = flip(c.Challenge)
			return encode(t, m)
		}},
		{name: "algorithm SHA-1", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["algorithm"] = "SHA-1"
			return encode(t, m)
		}},
		{name: "algorithm lowercase", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["algorithm"] = "sha-256"
			return encode(t, m)
		}},
		{name: "signed with another key", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			return encode(t, signed(otherKey, "abc?expires="+expOK, 7))
		}},
		{name: "too long", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			m := payload(c, n)
			m["took"] = strings.Repeat("x", 4096)
			return encode(t, m)
		}},
		{name: "forged salt without expiry", want: ErrExpired, token: func(t *testing.T, c Challenge, n int64) string {
			return encode(t, signed(testKey, "abc", 7))
		}},
		{name: "forged salt with two expiries", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			return encode(t, signed(testKey, "abc?expires="+expOK+"&expires="+expOK, 7))
		}},
		{name: "forged salt with bad expiry", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			return encode(t, signed(testKey, "abc?expires=soon", 7))
		}},
		{name: "forged salt far ahead", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			far := strconv.FormatInt(testStart.Add(5*time.Minute+2*time.Minute).Unix(), 10)
			return encode(t, signed(testKey, "abc?expires="+far, 7))
		}},
		{name: "digit moved from number into expiry", want: ErrInvalid, token: func(t *testing.T, c Challenge, n int64) string {
			// Same challenge hash and signature, ten times the expiry.
			m := signed(testKey, "abc?expires="+expOK, 12345)
			m["salt"], m["number"] = "abc?expires="+expOK+"1", 2345
			return encode(t, m)
		}},
		{name: "expired", want: ErrExpired, advance: 5 * time.Minute, token: func(t *testing.T, c Challenge, n int64) string { return encode(t, payload(c, n)) }},
		{name: "long expired", want: ErrExpired, advance: 48 * time.Hour, token: func(t *testing.T, c Challenge, n int64) string { return encode(t, payload(c, n)) }},
		{name: "store down", want: ErrUnavailable, spErr: errors.New("disk full"), token: func(t *testing.T, c Challenge, n int64) string { return encode(t, payload(c, n)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, sp, clk := newTestPoW(t, 1000)
			c, err := p.Challenge()
			if err != nil {
				t.Fatal(err)
			}
			tok := tt.token(t, c, solve(t, c))
			clk.t = clk.t.Add(tt.advance)
			sp.err = tt.spErr
			err = p.Verify(context.Background(), tok, "192.0.2.1")
			wantErr(t, err, tt.want)
			if tt.want != nil && tt.want != ErrUnavailable && sp.calls != 0 {
				t.Errorf("a refused token reached the spender")
			}
			if err != nil && tok != "" && strings.Contains(err.Error(), tok) {
				t.Errorf("error message contains the token: %v", err)
			}
		})
	}
}

// flip changes the last character of s.
func flip(s string) string {
	last := s[len(s)-1]
	if last == '0' {
		return s[:len(s)-1] + "1"
	}
	return s[:len(s)-1] + "0"
}

func TestPoWReuse(t *testing.T) {
	p, sp, clk := newTestPoW(t, 1000)
	c, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	tok := encode(t, payload(c, solve(t, c)))
	ctx := context.Background()
	wantErr(t, p.Verify(ctx, tok, ""), nil)
	wantErr(t, p.Verify(ctx, tok, ""), ErrReused)
	// The same solution in another encoding is the same challenge.
	wantErr(t, p.Verify(ctx, strings.TrimRight(tok, "="), ""), ErrReused)

	// The spent record lasts as long as the challenge and is keyed by
	// HMAC(UsedKey, challenge), never the challenge itself.
	exp, ok := sp.spent[macHex(testUsedKey, c.Challenge)]
	if !ok || len(sp.spent) != 1 {
		t.Fatalf("spent = %v, want one HMAC(UsedKey, challenge) entry", sp.spent)
	}
	if want := testStart.Add(5 * time.Minute); !exp.Equal(want) {
		t.Errorf("spent until %v, want %v", exp, want)
	}
	// Once the record could lapse, the token has expired too.
	clk.t = exp
	wantErr(t, p.Verify(ctx, tok, ""), ErrExpired)
}

func TestNewPoWOptions(t *testing.T) {
	sp := newFakeSpender()
	tests := []struct {
		name string
		o    PoWOptions
	}{
		{"no key", PoWOptions{UsedKey: testUsedKey, Spender: sp}},
		{"short key", PoWOptions{Key: []byte("short"), UsedKey: testUsedKey, Spender: sp}},
		{"no used key", PoWOptions{Key: testKey, Spender: sp}},
		{"no spender", PoWOptions{Key: testKey, UsedKey: testUsedKey}},
		{"negative max", PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: sp, MaxNumber: -1}},
		{"negative ttl", PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: sp, TTL: -time.Second}},
	}
	for _, tt := range tests {
		if _, err := NewPoW(tt.o); err == nil {
			t.Errorf("%s: NewPoW succeeded", tt.name)
		}
	}
	p, err := NewPoW(PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: sp, TTL: time.Minute, MaxNumber: 50})
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind() != "pow" || p.SiteKey() != "" {
		t.Errorf("Kind, SiteKey = %q, %q", p.Kind(), p.SiteKey())
	}
	c, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	exp, err := saltExpiry(c.Salt)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); c.MaxNumber != 50 || d > time.Minute || d < 58*time.Second {
		t.Errorf("maxnumber %d, expires in %v; want 50 and the 1m TTL", c.MaxNumber, d)
	}
}

// The key is copied: a caller reusing its buffer cannot change it.
func TestPoWKeyCopied(t *testing.T) {
	key := append([]byte(nil), testKey...)
	p, err := NewPoW(PoWOptions{Key: key, UsedKey: testUsedKey, Spender: newFakeSpender(), MaxNumber: 10})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := p.Challenge()
	clear(key)
	wantErr(t, p.Verify(context.Background(), encode(t, payload(c, solve(t, c))), ""), nil)
}

// nopSpender accepts every token, so a benchmark can verify one token often.
type nopSpender struct{}

func (nopSpender) SpendOnce(context.Context, string, time.Time, time.Time) (bool, error) {
	return true, nil
}

func BenchmarkVerify(b *testing.B) {
	p, err := NewPoW(PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: nopSpender{}, MaxNumber: 1000})
	if err != nil {
		b.Fatal(err)
	}
	c, err := p.Challenge()
	if err != nil {
		b.Fatal(err)
	}
	tok := encode(b, payload(c, solve(b, c)))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Verify(ctx, tok, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChallenge(b *testing.B) {
	p, err := NewPoW(PoWOptions{Key: testKey, UsedKey: testUsedKey, Spender: nopSpender{}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Challenge(); err != nil {
			b.Fatal(err)
		}
	}
}
