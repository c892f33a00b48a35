package phone

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// AllCountries in a country list lets SMS go to every country.
const AllCountries = "*"

// smsTypes are the only number types an SMS code goes to. Where a
// numbering plan does not tell mobiles from landlines (the US, Canada) the
// type is FIXED_LINE_OR_MOBILE, and a landline there simply never gets the
// text. VoIP, pager, personal (+1 500, UK 070), UAN, voicemail, toll-free,
// shared-cost and premium-rate numbers are refused: they are what SMS
// pumping schemes register, and a real person signs up with a mobile.
var smsTypes = []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE}

// Sendable reports whether an SMS code may go to e164, a number in E.164
// form: it must be valid, belong to a country (never to a satellite system
// such as +881 Iridium or +870 Inmarsat, an international network such as
// +882 and +883, or international premium-rate +979, all of which the
// metadata files under region "001"), be of a country in countries, and
// be a mobile number. countries holds ISO 3166 alpha-2 codes or
// AllCountries; an empty list allows nothing. Islands that share a calling
// code keep their own region: +44 7911 is Guernsey (GG), not GB, and
// +1 876 is Jamaica (JM), not US.
func Sendable(e164 string, countries []string) error {
	if !strings.HasPrefix(e164, "+") {
		return fmt.Errorf("%w: %q is not in E.164 form", ErrInvalid, e164)
	}
	num, err := phonenumbers.Parse(e164, phonenumbers.UNKNOWN_REGION)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return ErrInvalid
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return fmt.Errorf("%w: +%d is a satellite, international network or international premium-rate code",
			ErrNotMobile, num.GetCountryCode())
	}
	if !slices.Contains(countries, AllCountries) && !slices.ContainsFunc(countries, func(c string) bool {
		return strings.EqualFold(c, region)
	}) {
		return fmt.Errorf("%w: %s", ErrCountry, region)
	}
	if t := phonenumbers.GetNumberType(num); !slices.Contains(smsTypes, t) {
		return fmt.Errorf("%w: %s number in %s", ErrNotMobile, typeName(t), region)
	}
	return nil
}

// ParseCountries reads a comma-separated list of ISO 3166 alpha-2 codes
// ("US, CA,gb") or AllCountries, as GATEHOUSE_SMS_COUNTRIES holds it. The
// codes come back upper-case and without duplicates; every unknown code is
// named in one error. An empty s gives a nil list, leaving the caller's
// default in place.
func ParseCountries(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out, bad []string
	supported := phonenumbers.GetSupportedRegions()
	for _, c := range strings.Split(s, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		switch {
		case c == AllCountries:
		case !supported[c]:
			bad = append(bad, fmt.Sprintf("%q", c))
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: %s (use ISO 3166 alpha-2 codes such as US or GB, or %s for every country)",
			ErrUnknownCountry, strings.Join(bad, ", "), AllCountries)
	}
	if slices.Contains(out, AllCountries) && len(out) > 1 {
		return nil, fmt.Errorf("%w: %s must stand alone", ErrUnknownCountry, AllCountries)
	}
	return out, nil
}

func typeName(t phonenumbers.PhoneNumberType) string {
	switch t {
	case phonenumbers.FIXED_LINE:
		return "fixed-line"
	case phonenumbers.TOLL_FREE:
		return "toll-free"
	case phonenumbers.PREMIUM_RATE:
		return "premium-rate"
	case phonenumbers.SHARED_COST:
		return "shared-cost"
	case phonenumbers.VOIP:
		return "VoIP"
	case phonenumbers.PERSONAL_NUMBER:
		return "personal"
	case phonenumbers.PAGER:
		return "pager"
	case phonenumbers.UAN:
		return "UAN"
	case phonenumbers.VOICEMAIL:
		return "voicemail"
	}
	return "unknown-type"
}
