package validate

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/runtime"
)

// Release names the release a chart is rendered as.
var Release = chartutil.ReleaseOptions{Name: "burncloud", Namespace: "burncloud", Revision: 1, IsInstall: true}

// ErrLint is returned when helm lint reports a warning or an error.
var ErrLint = errors.New("helm lint")

// Object is one rendered Kubernetes object.
type Object struct {
	Source string // template path, e.g. burncloud/templates/router-deployment.yaml
	Hook   bool   // a Helm hook rather than a release object
	Obj    runtime.Object
}

// Rendered is the output of rendering a chart, as `helm template` prints it.
type Rendered struct {
	Objects []Object
	Notes   string
}

// Lint runs Helm's chart linter with overrides on top of the chart's values
// and fails on warnings too (helm lint --strict).
func Lint(chartDir string, overrides map[string]any) error {
	l := lint.AllWithKubeVersionAndSchemaValidation(chartDir, overrides, Release.Namespace, nil, false)
	var errs []error
	for _, m := range l.Messages {
		if m.Severity >= support.WarningSev {
			errs = append(errs, fmt.Errorf("%w: %s", ErrLint, m))
		}
	}
	return errors.Join(errs...)
}

// Render renders the chart in chartDir with overrides (validated against
// values.schema.json) and decodes every object strictly with dec.
func Render(chartDir string, overrides map[string]any, dec *Decoder) (*Rendered, error) {
	ch, err := loader.Load(chartDir)
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	vals, err := chartutil.ToRenderValuesWithSchemaValidation(ch, overrides, Release, caps, false)
	if err != nil {
		return nil, err
	}
	// Strict: a template reading a value the chart does not define fails.
	files, err := engine.Engine{Strict: true}.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	out := &Rendered{}
	for name, content := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			out.Notes = content
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	var errs []error
	add := func(source, content string, hook bool) {
		obj, err := dec.Decode([]byte(content))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", source, err))
			return
		}
		out.Objects = append(out.Objects, Object{Source: source, Hook: hook, Obj: obj})
	}
	for _, m := range manifests {
		add(m.Name, m.Content, false)
	}
	for _, h := range hooks {
		add(h.Path, h.Manifest, true)
	}
	sort.SliceStable(out.Objects, func(i, j int) bool { return out.Objects[i].Source < out.Objects[j].Source })
	return out, errors.Join(errs...)
}

// ReadValues reads a values file as overrides.
func ReadValues(path string) (map[string]any, error) {
	v, err := chartutil.ReadValuesFile(path)
	if err != nil {
		return nil, err
	}
	return v.AsMap(), nil
}
