package pricing

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// NanoPerUSD is the number of nano-USD in one US dollar.
const NanoPerUSD = 1_000_000_000

// Errors of the decimal parsers (and ErrOverflow of Cost).
var (
	ErrSyntax     = errors.New("pricing: not a decimal number")
	ErrNegative   = errors.New("pricing: negative value")
	ErrTooPrecise = errors.New("pricing: too many decimal places")
	ErrOverflow   = errors.New("pricing: value out of int64 range")
)

const (
	usdScale = 9 // decimal places of nano-USD
	ppmScale = 6 // decimal places of parts per million
)

// ParseUSD parses a non-negative decimal amount of US dollars ("2.50", "10",
// "0.000000001") into nano-USD. The syntax is digits, optionally followed by a
// point and digits; no sign, exponent, spaces or separators. Trailing zeros
// past the ninth decimal place are accepted since they do not change the value.
func ParseUSD(s string) (int64, error) {
	v, err := parseFixed(s, usdScale)
	if err != nil {
		return 0, fmt.Errorf("parse USD %q: %w", s, err)
	}
	return v, nil
}

// FormatUSD writes nano-USD as the shortest exact decimal of US dollars:
// 750000 → "0.00075", 12e9 → "12", -5e8 → "-0.5".
func FormatUSD(nano int64) string {
	var buf [24]byte
	return string(appendFixed(buf[:0], nano, usdScale))
}

// AppendUSD appends FormatUSD(nano) to dst; it lets a response header be
// written without allocating.
func AppendUSD(dst []byte, nano int64) []byte {
	return appendFixed(dst, nano, usdScale)
}

// ParsePPM parses a non-negative decimal ratio ("1.0", "0.5", "1.7") into
// parts per million, with at most six significant decimal places.
func ParsePPM(s string) (int64, error) {
	v, err := parseFixed(s, ppmScale)
	if err != nil {
		return 0, fmt.Errorf("parse ratio %q: %w", s, err)
	}
	return v, nil
}

// FormatPPM writes parts per million as the shortest exact decimal ratio:
// 1_000_000 → "1", 500_000 → "0.5".
func FormatPPM(ppm int64) string {
	var buf [24]byte
	return string(appendFixed(buf[:0], ppm, ppmScale))
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseFixed reads digits["."digits] as a fixed-point number with scale
// decimal places.
func parseFixed(s string, scale int) (int64, error) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			if frac == "" {
				return 0, ErrSyntax
			}
			break
		}
	}
	if !isDigits(intPart) || (frac != "" && !isDigits(frac)) {
		return 0, ErrSyntax
	}
	if neg {
		return 0, ErrNegative
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > scale {
		return 0, ErrTooPrecise
	}

	unit := pow10(scale)
	const limit = math.MaxInt64
	var whole uint64
	for i := 0; i < len(intPart); i++ {
		d := uint64(intPart[i] - '0')
		if whole > (limit-d)/10 {
			return 0, ErrOverflow
		}
		whole = whole*10 + d
	}
	var f uint64
	for i := 0; i < len(frac); i++ {
		f = f*10 + uint64(frac[i]-'0')
	}
	f *= pow10(scale - len(frac))
	if whole > (limit-f)/unit {
		return 0, ErrOverflow
	}
	return int64(whole*unit + f), nil
}

func appendFixed(dst []byte, v int64, scale int) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u // two's complement negation also covers math.MinInt64
	}
	unit := pow10(scale)
	dst = strconv.AppendUint(dst, u/unit, 10)
	f := u % unit
	if f == 0 {
		return dst
	}
	var digits [usdScale]byte
	for i := scale - 1; i >= 0; i-- {
		digits[i] = byte('0' + f%10)
		f /= 10
	}
	n := scale
	for digits[n-1] == '0' {
		n--
	}
	dst = append(dst, '.')
	return append(dst, digits[:n]...)
}
