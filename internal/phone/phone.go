// Package phone parses phone numbers into E.164, masks them for display and
// decides which numbers may receive an SMS.
package phone

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Normalize parses input, read in region when it has no country code, and
// returns the number in E.164 form (+15551234567).
func Normalize(input, region string) (string, error) {
	s := strings.TrimSpace(input)
	if s == "" || len(s) > 32 {
		return "", ErrInvalid
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	num, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Mask shows a number in its national format with every digit but the last
// four hidden: +12015556053 becomes (***) ***-6053. Numbers of another
// region than home keep their country code visible.
func Mask(e164, home string) string {
	if e164 == "" {
		return ""
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return maskDigits(e164)
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	var s string
	if strings.EqualFold(region, home) {
		s = phonenumbers.Format(num, phonenumbers.NATIONAL)
	} else {
		s = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
		cc := fmt.Sprintf("+%d", num.GetCountryCode())
		if strings.HasPrefix(s, cc) {
			return cc + maskDigits(s[len(cc):])
		}
	}
	return maskDigits(s)
}

// maskDigits replaces every digit but the last four with '*'.
func maskDigits(s string) string {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	var b strings.Builder
	seen := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			seen++
			if seen <= digits-4 {
				b.WriteByte('*')
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}
