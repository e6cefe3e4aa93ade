package pricing

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"
)

func TestParseUSD(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil},
		{"10", 10_000_000_000, nil},
		{"2.50", 2_500_000_000, nil},
		{"0.000000001", 1, nil},
		{"0.00075", 750_000, nil},
		{"007.5", 7_500_000_000, nil},
		{"1.0000000000", NanoPerUSD, nil}, // zeros past the 9th place change nothing
		{"9223372036.854775807", math.MaxInt64, nil},
		{"9223372036.854775808", 0, ErrOverflow},
		{"9223372037", 0, ErrOverflow},
		{"99999999999999999999999", 0, ErrOverflow},
		{"0.0000000001", 0, ErrTooPrecise},
		{"1.0000000005", 0, ErrTooPrecise},
		{"-1", 0, ErrNegative},
		{"-0.5", 0, ErrNegative},
		{"", 0, ErrSyntax},
		{"-", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{".5", 0, ErrSyntax},
		{"1.", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"+1", 0, ErrSyntax},
		{"1e3", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1_000", 0, ErrSyntax},
		{"1,5", 0, ErrSyntax},
		{"--1", 0, ErrSyntax},
		{"NaN", 0, ErrSyntax},
	}
	for _, tt := range tests {
		got, err := ParseUSD(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("ParseUSD(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseUSD(%q) = %d, want %d", tt.in, got, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), tt.in) {
			t.Errorf("ParseUSD(%q) error %q does not name the input", tt.in, err)
		}
	}
}

func TestFormatUSD(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{1, "0.000000001"},
		{750_000, "0.00075"},
		{15_000_000, "0.015"},
		{12 * NanoPerUSD, "12"},
		{2_500_000_000, "2.5"},
		{-500_000_000, "-0.5"},
		{-1, "-0.000000001"},
		{math.MaxInt64, "9223372036.854775807"},
		{math.MinInt64, "-9223372036.854775808"},
	}
	for _, tt := range tests {
		if got := FormatUSD(tt.in); got != tt.want {
			t.Errorf("FormatUSD(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(AppendUSD([]byte("x="), tt.in)); got != "x="+tt.want {
			t.Errorf("AppendUSD(%d) = %q, want %q", tt.in, got, "x="+tt.want)
		}
	}
}

func TestAppendUSDDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 32)
	allocs := testing.AllocsPerRun(100, func() { buf = AppendUSD(buf[:0], 15_000_000) })
	if allocs != 0 {
		t.Fatalf("AppendUSD allocates %v times", allocs)
	}
}

func TestParsePPM(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
	}{
		{"1.0", OnePPM, nil},
		{"1", OnePPM, nil},
		{"0.5", 500_000, nil},
		{"1.7", 1_700_000, nil},
		{"0", 0, nil},
		{"0.000001", 1, nil},
		{"0.0000001", 0, ErrTooPrecise},
		{"-1.0", 0, ErrNegative},
		{"1.5x", 0, ErrSyntax},
		{"9223372036854.775807", math.MaxInt64, nil},
		{"9223372036854.775808", 0, ErrOverflow},
	}
	for _, tt := range tests {
		got, err := ParsePPM(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("ParsePPM(%q) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParsePPM(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFormatPPM(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{OnePPM, "1"},
		{500_000, "0.5"},
		{1_700_000, "1.7"},
		{1, "0.000001"},
		{0, "0"},
		{-250_000, "-0.25"},
	}
	for _, tt := range tests {
		if got := FormatPPM(tt.in); got != tt.want {
			t.Errorf("FormatPPM(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var decimalGrammar = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// checkParse compares a parser against big.Rat: a result must equal the
// decimal's exact value, and any decimal that is in range, precise enough and
// well formed must be accepted. It also checks the round trip through format.
func checkParse(t *testing.T, s string, scale int64, parse func(string) (int64, error), format func(int64) string) {
	got, err := parse(s)
	unit := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(scale), nil))
	if err != nil {
		if !decimalGrammar.MatchString(s) {
			return
		}
		exact, _ := new(big.Rat).SetString(s)
		exact.Mul(exact, unit)
		fits := exact.IsInt() && exact.Num().IsInt64()
		if fits {
			t.Fatalf("parse(%q) rejected an exact in-range value: %v", s, err)
		}
		if exact.IsInt() && !errors.Is(err, ErrOverflow) {
			t.Fatalf("parse(%q) = %v, want ErrOverflow", s, err)
		}
		if !exact.IsInt() && !errors.Is(err, ErrTooPrecise) && !errors.Is(err, ErrOverflow) {
			t.Fatalf("parse(%q) = %v, want ErrTooPrecise", s, err)
		}
		return
	}
	if !decimalGrammar.MatchString(s) {
		t.Fatalf("parse(%q) accepted a malformed decimal", s)
	}
	exact, _ := new(big.Rat).SetString(s)
	if exact.Mul(exact, unit).Cmp(new(big.Rat).SetInt64(got)) != 0 {
		t.Fatalf("parse(%q) = %d, want %s", s, got, exact.FloatString(0))
	}
	text := format(got)
	back, err := parse(text)
	if err != nil || back != got {
		t.Fatalf("round trip %q → %d → %q → %d, %v", s, got, text, back, err)
	}
}

func FuzzParseUSD(f *testing.F) {
	for _, s := range []string{"0", "2.50", "0.000000001", "10", "1.0000000000", "9223372036.854775807",
		"9223372036.854775808", "-1", "1e3", ".5", "0.0000000001", "00000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkParse(t, s, usdScale, ParseUSD, FormatUSD) })
}

func FuzzParsePPM(f *testing.F) {
	for _, s := range []string{"1.0", "0.5", "1.7", "0", "0.000001", "0.0000001", "-1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkParse(t, s, ppmScale, ParsePPM, FormatPPM) })
}

func FuzzFormatUSD(f *testing.F) {
	for _, n := range []int64{0, 1, -1, 750_000, math.MaxInt64, math.MinInt64} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		s := FormatUSD(n)
		mag := s
		if n < 0 {
			if s[0] != '-' {
				t.Fatalf("FormatUSD(%d) = %q lacks the sign", n, s)
			}
			mag = s[1:]
		}
		if strings.HasSuffix(mag, "0") && strings.Contains(mag, ".") {
			t.Fatalf("FormatUSD(%d) = %q is not the shortest form", n, s)
		}
		back, err := ParseUSD(mag)
		if n == math.MinInt64 {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("ParseUSD(%q) = %v, want ErrOverflow", mag, err)
			}
			return
		}
		if n < 0 {
			back = -back
		}
		if err != nil || back != n {
			t.Fatalf("FormatUSD(%d) = %q parses back as %d, %v", n, s, back, err)
		}
	})
}
