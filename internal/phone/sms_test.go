package phone

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestSendable(t *testing.T) {
	us := []string{"US"}
	tests := []struct {
		name, e164 string
		countries  []string
		want       error
	}{
		{"US test number", "+12015556053", us, nil},
		{"US test number 2", "+12015550123", us, nil},
		{"US DC", "+12025550147", us, nil},
		{"lower-case list", "+12015556053", []string{"us"}, nil},
		{"every country", "+4915123456789", []string{AllCountries}, nil},
		{"German mobile", "+4915123456789", []string{"US", "DE"}, nil},
		{"UK mobile", "+447400123456", []string{"GB"}, nil},
		{"Guernsey is not GB", "+447911123456", []string{"GB"}, ErrCountry},
		{"Jamaica is not US", "+18762101234", us, ErrCountry},
		{"Canada is not US", "+16135550123", us, ErrCountry},
		{"UK mobile, US only", "+447400123456", us, ErrCountry},
		{"empty list", "+12015556053", nil, ErrCountry},
		{"UK landline", "+442079460018", []string{"GB"}, ErrNotMobile},
		{"US toll-free", "+18005551234", us, ErrNotMobile},
		{"US premium", "+19005551234", us, ErrNotMobile},
		{"US personal (500)", "+15005550006", us, ErrNotMobile},
		{"UK premium", "+449098790000", []string{"GB"}, ErrNotMobile},
		{"UK personal (070)", "+447012345678", []string{"GB"}, ErrNotMobile},
		{"UK VoIP (056)", "+445612345678", []string{"GB"}, ErrNotMobile},
		{"Iridium", "+881631234567", []string{AllCountries}, ErrNotMobile},
		{"Inmarsat", "+870772123456", []string{AllCountries}, ErrNotMobile},
		{"international premium", "+979123456789", []string{AllCountries}, ErrNotMobile},
		{"international freephone", "+80012345678", []string{AllCountries}, ErrNotMobile},
		{"international network 882", "+882345678901", []string{AllCountries}, ErrInvalid},
		{"fictional area code", "+15551234567", us, ErrInvalid},
		{"not E.164", "2015556053", us, ErrInvalid},
		{"garbage", "+1 not a number", us, ErrInvalid},
		{"empty", "", us, ErrInvalid},
	}
	for _, tt := range tests {
		err := Sendable(tt.e164, tt.countries)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: Sendable(%s, %v) = %v, want %v", tt.name, tt.e164, tt.countries, err, tt.want)
		}
	}
}

// TestSendableByType checks the metadata's own example number of every
// type in every region: only mobiles are sendable.
func TestSendableByType(t *testing.T) {
	all := []string{AllCountries}
	types := []phonenumbers.PhoneNumberType{
		phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
		phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
		phonenumbers.UAN, phonenumbers.VOICEMAIL,
	}
	checked := 0
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range types {
			num := phonenumbers.GetExampleNumberForType(region, typ)
			if num == nil {
				continue
			}
			e164 := phonenumbers.Format(num, phonenumbers.E164)
			if phonenumbers.GetRegionCodeForNumber(num) != region {
				continue // an example shared with a neighbour on one calling code
			}
			got := phonenumbers.GetNumberType(num)
			err := Sendable(e164, all)
			checked++
			switch {
			case slices.Contains(smsTypes, got) && err != nil:
				t.Errorf("%s %v example %s refused: %v", region, typ, e164, err)
			case !slices.Contains(smsTypes, got) && !errors.Is(err, ErrNotMobile):
				t.Errorf("%s %v example %s (type %v) = %v, want ErrNotMobile", region, typ, e164, got, err)
			}
			if typ == phonenumbers.MOBILE && err == nil {
				if err := Sendable(e164, []string{region}); err != nil {
					t.Errorf("%s mobile %s refused with its own country allowed: %v", region, e164, err)
				}
				if err := Sendable(e164, []string{other(region)}); !errors.Is(err, ErrCountry) {
					t.Errorf("%s mobile %s with only %s allowed = %v, want ErrCountry", region, e164, other(region), err)
				}
			}
		}
	}
	if checked < 500 {
		t.Fatalf("only %d example numbers checked", checked)
	}
}

func other(region string) string {
	if region == "AQ" {
		return "BV"
	}
	return "AQ"
}

// TestSendableNonGeographic checks every non-geographic calling code the
// metadata knows (satellite, international networks, +800, +808, +979).
func TestSendableNonGeographic(t *testing.T) {
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		num := phonenumbers.GetExampleNumberForNonGeoEntity(cc)
		if num == nil {
			continue
		}
		e164 := phonenumbers.Format(num, phonenumbers.E164)
		if err := Sendable(e164, []string{AllCountries}); !errors.Is(err, ErrNotMobile) {
			t.Errorf("+%d example %s = %v, want ErrNotMobile", cc, e164, err)
		}
	}
}

func TestParseCountries(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"  ", nil, true},
		{"US", []string{"US"}, true},
		{"us, CA ,gb,US", []string{"US", "CA", "GB"}, true},
		{"*", []string{AllCountries}, true},
		{" * ", []string{AllCountries}, true},
		{"*,US", nil, false},
		{"UK", nil, false},
		{"USA", nil, false},
		{"US,,GB", nil, false},
		{"US,", nil, false},
		{"001", nil, false},
		{"ZZ", nil, false},
	}
	for _, tt := range tests {
		got, err := ParseCountries(tt.in)
		if tt.ok != (err == nil) || !slices.Equal(got, tt.want) {
			t.Errorf("ParseCountries(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if !tt.ok && !errors.Is(err, ErrUnknownCountry) {
			t.Errorf("ParseCountries(%q) error %v does not wrap ErrUnknownCountry", tt.in, err)
		}
	}
	_, err := ParseCountries("UK,XX")
	if want := `"UK", "XX"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("ParseCountries(UK,XX) = %v, want every bad code named", err)
	}
}
