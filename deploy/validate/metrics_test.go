package validate

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var (
	catalogueFile = filepath.Join(repoRoot, "docs", "metrics.md")
	rulesDir      = filepath.Join(repoRoot, "deploy", "prometheus", "rules")
	dashboardFile = filepath.Join(repoRoot, "deploy", "grafana", "dashboards", "burncloud.json")
)

func loadCatalogue(t *testing.T) *Catalogue {
	t.Helper()
	c, err := LoadCatalogue(catalogueFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() < 10 {
		t.Fatalf("only %d series found in %s", c.Len(), catalogueFile)
	}
	return c
}

func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(rulesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in %s (%v)", rulesDir, err)
	}
	return files
}

// The alerts the deployment promises exist.
func TestAlertRules(t *testing.T) {
	var alerts []string
	for _, f := range ruleFiles(t) {
		rf, err := LoadRules(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				alerts = append(alerts, r.Alert)
			}
		}
	}
	for _, want := range []string{
		"BurnCloudUsageSpoolGrowing", "BurnCloudBillingLag", "BurnCloudSnapshotStale",
		"BurnCloudCircuitBreakerOpen", "BurnCloudHighErrorRatio", "BurnCloudQuotaFallbackActive",
	} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
}

// Every series an alert rule reads is in the catalogue.
func TestAlertRulesUseCataloguedMetrics(t *testing.T) {
	cat := loadCatalogue(t)
	for _, f := range ruleFiles(t) {
		rf, err := LoadRules(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				names, err := ExprMetrics(r.Expr)
				if err != nil {
					t.Errorf("%s: %v", r.Alert, err)
				}
				for _, n := range names {
					if err := cat.Check(n); err != nil {
						t.Errorf("alert %s: %v", r.Alert, err)
					}
				}
			}
		}
	}
}

// Every series a dashboard query reads is in the catalogue, and every query
// parses once Grafana's variables are filled in.
func TestDashboardUsesCataloguedMetrics(t *testing.T) {
	cat := loadCatalogue(t)
	d, err := LoadDashboard(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	queries := d.Queries()
	if len(queries) < 20 {
		t.Fatalf("only %d queries in the dashboard", len(queries))
	}
	for _, q := range queries {
		names, err := ExprMetrics(PromQL(q.Expr))
		if err != nil {
			t.Errorf("%s: %q: %v", q.Where, q.Expr, err)
		}
		for _, n := range names {
			if err := cat.Check(n); err != nil {
				t.Errorf("%s: %v", q.Where, err)
			}
		}
	}
}

// The dashboard is well formed: unique panel ids, panels inside the 24-column
// grid, every query on the data source variable.
func TestDashboardShape(t *testing.T) {
	d, err := LoadDashboard(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard has no uid or title")
	}
	var hasDatasourceVar bool
	for _, v := range d.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" {
			hasDatasourceVar = true
		}
	}
	if !hasDatasourceVar {
		t.Error("no datasource variable")
	}
	ids := map[int]bool{}
	for _, p := range d.AllPanels() {
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d missing or repeated", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: grid position %+v", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel %d: no title or no queries", p.ID)
		}
		for _, tg := range append([]Target{{Datasource: p.Datasource}}, p.Targets...) {
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: data source %+v is not ${datasource}", p.Title, tg.Datasource)
			}
		}
	}
}

// The checks above can fail: a name the catalogue lacks is reported, and a
// histogram's series count as their family only when the family is listed.
func TestCatalogueCheck(t *testing.T) {
	cat := ParseCatalogue("| `burncloud_router_requests_total` | counter |\n" +
		"| `burncloud_gen_ai_server_request_duration_seconds` | histogram |\n" +
		"| `go_info{version}` | gauge |\n" +
		"prose mentioning burncloud_not_in_code_span and `burncloud_router_` \n")
	tests := []struct {
		series string
		ok     bool
	}{
		{"burncloud_router_requests_total", true},
		{"burncloud_gen_ai_server_request_duration_seconds_bucket", true},
		{"burncloud_gen_ai_server_request_duration_seconds_count", true},
		{"go_info", true},
		{"burncloud_router_requests_total_bucket", false},
		{"burncloud_not_in_code_span", false},
		{"burncloud_router_", false},
		{"burncloud_router_quota_fallback_active", false},
	}
	for _, tt := range tests {
		err := cat.Check(tt.series)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%s) = %v, want ok=%v", tt.series, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrNotCatalogued) {
			t.Errorf("Check(%s) = %v, not ErrNotCatalogued", tt.series, err)
		}
	}
}

func TestExprMetrics(t *testing.T) {
	tests := []struct {
		expr    string
		want    []string
		wantErr bool
	}{
		{`sum(rate(a_total[5m])) / sum(rate(a_total{code=~"5.."}[5m]))`, []string{"a_total"}, false},
		{`histogram_quantile(0.9, sum by (le) (rate(b_bucket[5m]))) > scalar(max(c))`, []string{"b_bucket", "c"}, false},
		{`time() - d_timestamp_seconds`, []string{"d_timestamp_seconds"}, false},
		{`vector(0)`, nil, false},
		{`{job="x"}`, nil, true},
		{`sum(rate(a_total[5m])`, nil, true},
	}
	for _, tt := range tests {
		got, err := ExprMetrics(tt.expr)
		if (err != nil) != tt.wantErr {
			t.Errorf("ExprMetrics(%q) error %v, want error %v", tt.expr, err, tt.wantErr)
		}
		if !tt.wantErr && !slices.Equal(got, tt.want) {
			t.Errorf("ExprMetrics(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

func TestPromQLFillsGrafanaVariables(t *testing.T) {
	tests := []struct{ in, want string }{
		{`rate(a[$__rate_interval])`, `rate(a[5m])`},
		{`a{m=~"$model"}`, `a{m=~".*"}`},
		{`a{m=~"${model:regex}"}`, `a{m=~".*"}`},
		{`increase(a[$__range])`, `increase(a[5m])`},
	}
	for _, tt := range tests {
		if got := PromQL(tt.in); got != tt.want {
			t.Errorf("PromQL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// LoadRules refuses fields Prometheus does not know and rules that break
// the house rules.
func TestLoadRulesRejects(t *testing.T) {
	good := "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    labels: {severity: warning, component: router}\n    annotations: {summary: s, description: d}\n"
	tests := []struct {
		name, src string
		ok        bool
	}{
		{"good", good, true},
		{"unknown field", strings.Replace(good, "for: 5m", "fore: 5m", 1), false},
		{"bad expr", strings.Replace(good, "up == 0", "up ==", 1), false},
		{"bad for", strings.Replace(good, "for: 5m", "for: 5 minutes", 1), false},
		{"bad severity", strings.Replace(good, "severity: warning", "severity: page", 1), false},
		{"no component", strings.Replace(good, ", component: router", "", 1), false},
		{"no description", strings.Replace(good, ", description: d", "", 1), false},
		{"no groups", "groups: []\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rules.yaml")
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadRules(path)
			if (err == nil) != tt.ok {
				t.Fatalf("LoadRules ok=%v, want %v: %v", err == nil, tt.ok, err)
			}
		})
	}
}

func FuzzParseCatalogue(f *testing.F) {
	f.Add("| `burncloud_router_requests_total{code}` | counter |")
	f.Add("`go_info{version}` and `process_open_fds`")
	f.Add("``burncloud_``{`")
	f.Fuzz(func(t *testing.T, md string) {
		c := ParseCatalogue(md)
		for name := range c.names {
			if !strings.Contains(md, "`"+name) {
				t.Fatalf("%q found in %q, which does not hold it in a code span", name, md)
			}
			if err := c.Check(name); err != nil {
				t.Fatalf("catalogued %q fails Check: %v", name, err)
			}
		}
	})
}

func FuzzPromQL(f *testing.F) {
	f.Add(`rate(a[$__rate_interval])`)
	f.Add(`a{m=~"${model:regex}"} $ ${ $__`)
	f.Fuzz(func(t *testing.T, expr string) {
		out := PromQL(expr)
		if grafanaVarRE.MatchString(out) {
			t.Fatalf("PromQL(%q) = %q still holds a variable", expr, out)
		}
	})
}
