package validate

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// ErrNotCatalogued is returned for a series that docs/metrics.md does not list.
var ErrNotCatalogued = errors.New("metric not in the catalogue")

// Catalogue is the set of series names docs/metrics.md lists.
type Catalogue struct {
	names map[string]bool
	// families are the histograms and summaries, whose _bucket, _sum and
	// _count series belong to them.
	families map[string]bool
}

// catalogueRE finds series names in the catalogue's code spans: BurnCloud's
// own (burncloud_*) and the runtime's (go_*, process_*). A name may be
// followed by its labels, e.g. `go_info{version}`.
var catalogueRE = regexp.MustCompile("`((?:burncloud|go|process)_[a-z0-9_]*[a-z0-9])[`{]")

// familyRE tells a table row that catalogues a histogram or a summary.
var familyRE = regexp.MustCompile(`\|\s*(histogram|summary)\s*\|`)

// LoadCatalogue reads the metrics catalogue.
func LoadCatalogue(path string) (*Catalogue, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCatalogue(string(src)), nil
}

// ParseCatalogue collects every series name in code spans of a Markdown
// text; names on a table row typed histogram or summary are families.
func ParseCatalogue(md string) *Catalogue {
	c := &Catalogue{names: map[string]bool{}, families: map[string]bool{}}
	for _, line := range strings.Split(md, "\n") {
		family := familyRE.MatchString(line)
		for _, m := range catalogueRE.FindAllStringSubmatch(line, -1) {
			c.names[m[1]] = true
			if family {
				c.families[m[1]] = true
			}
		}
	}
	return c
}

// Len is the number of catalogued names.
func (c *Catalogue) Len() int { return len(c.names) }

// Check tells whether a series used in a query is catalogued. The _bucket,
// _sum and _count series of a histogram or summary count as their family.
func (c *Catalogue) Check(series string) error {
	if c.names[series] {
		return nil
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(series, suffix); ok && c.families[base] {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrNotCatalogued, series)
}

// promQL parses with Prometheus' default options.
var promQL = parser.NewParser(parser.Options{})

// ExprMetrics parses a PromQL expression and returns the metric names its
// selectors name, sorted and without repeats. A selector without a metric
// name is an error: every query here names the series it reads.
func ExprMetrics(expr string) ([]string, error) {
	node, err := promQL.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	var errs []error
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name == "" {
			errs = append(errs, fmt.Errorf("selector %s names no metric", vs))
			return nil
		}
		if !seen[vs.Name] {
			seen[vs.Name] = true
			names = append(names, vs.Name)
		}
		return nil
	})
	sort.Strings(names)
	return names, errors.Join(errs...)
}
