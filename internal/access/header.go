package access

import "fmt"

// CleanHeader refuses a forwarded header value (X-Forwarded-*, X-Original-*)
// holding a NUL or any other control byte, tab included: a proxy never
// forwards one, so one is an attack on whoever reads the value next. The
// error wraps ErrBadHeader.
func CleanHeader(value string) error {
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: byte 0x%02x at %d", ErrBadHeader, c, i)
		}
	}
	return nil
}
