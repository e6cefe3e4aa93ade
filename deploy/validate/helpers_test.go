package validate

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Paths from this module to the repository's files.
var (
	repoRoot    = filepath.Join("..", "..")
	chartDir    = filepath.Join(repoRoot, "helm", "burncloud")
	allOnValues = filepath.Join(chartDir, "ci", "all-on-values.yaml")
)

var (
	decoderOnce sync.Once
	decoder     *Decoder
	decoderErr  error
)

func testDecoder(t testing.TB) *Decoder {
	t.Helper()
	decoderOnce.Do(func() { decoder, decoderErr = NewDecoder() })
	if decoderErr != nil {
		t.Fatal(decoderErr)
	}
	return decoder
}

func render(t testing.TB, overrides map[string]any) *Rendered {
	t.Helper()
	r, err := Render(chartDir, overrides, testDecoder(t))
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return r
}

func allOn(t testing.TB) map[string]any {
	t.Helper()
	v, err := ReadValues(allOnValues)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// valueSets are the two values files the chart must render with.
func valueSets(t testing.TB) map[string]map[string]any {
	return map[string]map[string]any{"default": nil, "all-on": allOn(t)}
}

// objectsOf returns the rendered objects of type T.
func objectsOf[T runtime.Object](r *Rendered) []T {
	var out []T
	for _, o := range r.Objects {
		if v, ok := o.Obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// deployment returns the Deployment of a component.
func deployment(t testing.TB, r *Rendered, component string) *appsv1.Deployment {
	t.Helper()
	for _, d := range objectsOf[*appsv1.Deployment](r) {
		if d.Labels["app.kubernetes.io/component"] == component {
			return d
		}
	}
	t.Fatalf("no Deployment for %s", component)
	return nil
}

func envByName(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// subset tells whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
