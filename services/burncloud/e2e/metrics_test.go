package e2e

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// catalogued lists every series docs/metrics.md names in a table's first
// column. The deploy checks prove the dashboard and the alert rules use only
// catalogued series; this test proves the catalogue exists in a live scrape.
func catalogued(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile("../../../docs/metrics.md")
	if err != nil {
		t.Fatalf("metrics catalogue: %v", err)
	}
	re := regexp.MustCompile("(?m)^\\| `(burncloud_[a-z0-9_]+)`")
	seen := map[string]bool{}
	for _, m := range re.FindAllSubmatch(doc, -1) {
		seen[string(m[1])] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) < 20 {
		t.Fatalf("catalogue lists only %d series", len(names))
	}
	return names
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %d %v", url, resp.StatusCode, err)
	}
	return string(body)
}

func TestCataloguedMetricsExist(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	chat(t, g.routers[0]) // traffic, so that per-request series have children
	names := catalogued(t)
	var missing []string
	// A request's series are recorded once its answer went out: look again
	// for a moment before calling a series missing.
	eventually(t, 5*time.Second, "every catalogued series served", func() (bool, string) {
		var all string
		for _, url := range []string{g.routers[0].URL, g.ctlURL, g.billingURL} {
			all += scrape(t, url)
		}
		missing = missing[:0]
		for _, name := range names {
			// A family appears as its TYPE line once it has a child.
			re := regexp.MustCompile(`(?m)^# TYPE ` + regexp.QuoteMeta(name) + ` `)
			if !re.MatchString(all) {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0, "not served: " + strings.Join(missing, ", ")
	})
}
