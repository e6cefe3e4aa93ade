package declarative

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// Bounds of the file's values, matching the admin API's validation.
const (
	maxRatioPPM     = 100 * pricing.OnePPM // group ratio and channel cost ratio
	maxWeight       = 10_000
	maxChannelKeys  = 64
	maxKeyLen       = 8192
	maxModels       = 1024 // per channel
	maxTokenModels  = 256
	maxTiers        = 16
	maxNameLen      = 64
	maxModelNameLen = 128
	maxDescription  = 1024
	minTokenKeyLen  = 16
	maxTokenKeyLen  = 256
)

// channelTypes maps the file's channel types to the API's, in the order
// messages list them.
var channelTypes = []struct {
	name string
	typ  adminv1.ChannelType
}{
	{"openai", adminv1.ChannelType_CHANNEL_TYPE_OPENAI},
	{"azure", adminv1.ChannelType_CHANNEL_TYPE_AZURE},
	{"anthropic", adminv1.ChannelType_CHANNEL_TYPE_ANTHROPIC},
	{"gemini", adminv1.ChannelType_CHANNEL_TYPE_GEMINI},
	{"vertex", adminv1.ChannelType_CHANNEL_TYPE_VERTEX},
}

var roles = []struct {
	name string
	role adminv1.Role
}{
	{"owner", adminv1.Role_ROLE_OWNER},
	{"admin", adminv1.Role_ROLE_ADMIN},
	{"viewer", adminv1.Role_ROLE_VIEWER},
	{"user", adminv1.Role_ROLE_USER},
}

func channelTypeName(t adminv1.ChannelType) string {
	for _, c := range channelTypes {
		if c.typ == t {
			return c.name
		}
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), "CHANNEL_TYPE_"))
}

func roleName(r adminv1.Role) string {
	for _, c := range roles {
		if c.role == r {
			return c.name
		}
	}
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

func statusName(s adminv1.Status) string {
	if s == adminv1.Status_STATUS_DISABLED {
		return "disabled"
	}
	return "active"
}

// validName: a channel or group name (token and user names also allow '@').
func validName(s string, at bool) bool {
	if s == "" || len(s) > maxNameLen || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' && (c != '@' || !at) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func nameRule(at bool) string {
	if at {
		return "use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
	}
	return "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
}

// validModelName: as requests spell it, without whitespace.
func validModelName(s string) bool {
	return s != "" && len(s) <= maxModelNameLen && !strings.ContainsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0xA0
	})
}

// validTokenKey matches the admin API's rule for chosen secrets.
func validTokenKey(s string) bool {
	if len(s) < minTokenKeyLen || len(s) > maxTokenKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// unexpanded returns the variable name when s is exactly "${NAME}": a value
// that was meant to be expanded but was not.
func unexpanded(s string) (string, bool) {
	if len(s) < 4 || !strings.HasPrefix(s, "${") || !strings.HasSuffix(s, "}") {
		return "", false
	}
	name := s[2 : len(s)-1]
	return name, validVarName(name)
}

func usdMessage(err error, s, noun string) string {
	switch {
	case errors.Is(err, pricing.ErrNegative):
		return "negative " + noun
	case errors.Is(err, pricing.ErrTooPrecise):
		return "more than 9 decimal places"
	case errors.Is(err, pricing.ErrOverflow):
		return fmt.Sprintf("%q is too large", s)
	}
	return fmt.Sprintf("%q is not a decimal number of USD (e.g. \"2.50\")", s)
}

func ppmMessage(err error, s string) string {
	switch {
	case errors.Is(err, pricing.ErrNegative):
		return "negative ratio"
	case errors.Is(err, pricing.ErrTooPrecise):
		return "more than 6 decimal places"
	case errors.Is(err, pricing.ErrOverflow):
		return fmt.Sprintf("%q is too large", s)
	}
	return fmt.Sprintf("%q is not a decimal ratio (e.g. \"1.0\")", s)
}

// checkURL accepts absolute http(s) URLs without credentials.
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Sprintf("%q is not an http(s) URL", s)
	case u.User != nil:
		return "must not contain credentials (put them in keys)"
	case u.Fragment != "":
		return "must not contain a #fragment"
	}
	return ""
}

func parseDuration(s string) (*durationpb.Duration, string) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, fmt.Sprintf("%q is not a duration (e.g. 10s, 2m)", s)
	}
	if d <= 0 {
		return nil, "must be positive"
	}
	return durationpb.New(d), ""
}

func parseTime(s string) (*timestamppb.Timestamp, string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Sprintf("%q is not an RFC 3339 time (e.g. 2027-01-01T00:00:00Z)", s)
	}
	return timestamppb.New(t), ""
}

func fitsInt32(v int64) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }
