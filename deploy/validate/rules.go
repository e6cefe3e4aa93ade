package validate

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"
)

// RuleFile is a Prometheus rule file, with only the fields BurnCloud uses;
// anything else is rejected when the file is read.
type RuleFile struct {
	Groups []RuleGroup `json:"groups"`
}

// RuleGroup is one rule group.
type RuleGroup struct {
	Name     string `json:"name"`
	Interval string `json:"interval,omitempty"`
	Rules    []Rule `json:"rules"`
}

// Rule is an alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Severities an alert may carry.
var Severities = []string{"warning", "critical"}

// ErrBadRule is returned for a rule that breaks the rules below.
var ErrBadRule = errors.New("bad rule")

// LoadRules reads a rule file strictly and checks every rule: a unique
// alert name, an expression that parses, a valid `for`, a known severity, a
// component, and a summary and description.
func LoadRules(path string) (*RuleFile, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f RuleFile
	if err := yaml.UnmarshalStrict(src, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, f.check()
}

func (f *RuleFile) check() error {
	var errs []error
	bad := func(r Rule, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w %q: %s", ErrBadRule, r.Alert, fmt.Sprintf(format, args...)))
	}
	seen := map[string]bool{}
	if len(f.Groups) == 0 {
		errs = append(errs, fmt.Errorf("%w: no groups", ErrBadRule))
	}
	for _, g := range f.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			errs = append(errs, fmt.Errorf("%w: group %q is unnamed or empty", ErrBadRule, g.Name))
		}
		for _, r := range g.Rules {
			if r.Alert == "" || seen[r.Alert] {
				bad(r, "alert name empty or repeated")
			}
			seen[r.Alert] = true
			if _, err := promQL.ParseExpr(r.Expr); err != nil {
				bad(r, "expr: %v", err)
			}
			if r.For != "" {
				if _, err := model.ParseDuration(r.For); err != nil {
					bad(r, "for: %v", err)
				}
			}
			if !slices.Contains(Severities, r.Labels["severity"]) {
				bad(r, "severity %q is not one of %v", r.Labels["severity"], Severities)
			}
			if r.Labels["component"] == "" {
				bad(r, "no component label")
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				bad(r, "summary and description annotations are required")
			}
		}
	}
	return errors.Join(errs...)
}
