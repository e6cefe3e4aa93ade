package validate

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// Settings whose value may carry a credential: never a plain env value.
var secretSettings = []string{
	"BURNCLOUD_SECRET", "BURNCLOUD_INTERNAL_TOKEN", "BURNCLOUD_ADMIN_KEY", "BURNCLOUD_DATABASE_URL",
	"BURNCLOUD_NATS_URL", "BURNCLOUD_REDIS_URL", "BURNCLOUD_PYROSCOPE_URL",
}

// Settings the default values leave to the binary (empty, or off).
var optionalByDefault = []string{
	"BURNCLOUD_DATABASE_URL", "BURNCLOUD_REDIS_URL", "BURNCLOUD_PYROSCOPE_URL", "BURNCLOUD_BOOTSTRAP_FILE",
}

// Every BURNCLOUD_* variable a service's configuration reads is set by the
// chart: all of them with every option on, all but the optional ones with
// the defaults. This fails as soon as a service gains a setting the chart
// lacks.
func TestEveryConfigVariableIsAChartValue(t *testing.T) {
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			r := render(t, vals)
			for _, component := range []string{"router", "control", "billing"} {
				want, err := ConfigEnvVars(filepath.Join(repoRoot, "services", component, "config.go"))
				if err != nil {
					t.Fatal(err)
				}
				if len(want) < 5 {
					t.Fatalf("%s: only %d variables found in config.go: %v", component, len(want), want)
				}
				env := envByName(deployment(t, r, component).Spec.Template.Spec.Containers[0])
				for _, v := range want {
					if _, ok := env[v]; !ok && !(name == "default" && slices.Contains(optionalByDefault, v)) {
						t.Errorf("%s: %s is read by the service but not set by the chart", component, v)
					}
				}
			}
		})
	}
}

func TestSecretsComeFromSecrets(t *testing.T) {
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			r := render(t, vals)
			made := map[string]map[string][]byte{}
			for _, s := range objectsOf[*corev1.Secret](r) {
				made[s.Name] = s.Data
			}
			existing := existingSecrets(vals)
			for _, o := range r.Objects {
				spec, ok := podSpec(o.Obj)
				if !ok {
					continue
				}
				for _, c := range spec.Containers {
					for _, e := range c.Env {
						if slices.Contains(secretSettings, e.Name) && e.ValueFrom == nil {
							t.Errorf("%s: %s is a plain value", o.Source, e.Name)
						}
						if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
							continue
						}
						ref := e.ValueFrom.SecretKeyRef
						if data, ok := made[ref.Name]; ok {
							if _, ok := data[ref.Key]; !ok && (ref.Optional == nil || !*ref.Optional) {
								t.Errorf("%s: %s reads key %s the chart's Secret %s lacks", o.Source, e.Name, ref.Key, ref.Name)
							}
						} else if !existing[ref.Name] && !slices.Contains(extraEnvSecrets, ref.Name) {
							t.Errorf("%s: %s reads Secret %s, neither made nor configured", o.Source, e.Name, ref.Name)
						}
					}
				}
			}
		})
	}
}

// Secrets named only in all-on-values.yaml's extraEnv.
var extraEnvSecrets = []string{"upstream-keys"}

func existingSecrets(vals map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, k := range []string{"secrets", "database", "nats", "redis", "pyroscope"} {
		if m, ok := vals[k].(map[string]any); ok {
			if s, _ := m["existingSecret"].(string); s != "" {
				out[s] = true
			}
		}
	}
	return out
}

// The generated secrets are long random strings, not fixed values.
func TestGeneratedSecrets(t *testing.T) {
	a := objectsOf[*corev1.Secret](render(t, nil))
	b := objectsOf[*corev1.Secret](render(t, nil))
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("%d and %d Secrets, want 1", len(a), len(b))
	}
	for _, key := range []string{"master-secret", "internal-token", "admin-key"} {
		if len(a[0].Data[key]) < 32 {
			t.Errorf("%s: %d bytes, want at least 32", key, len(a[0].Data[key]))
		}
		if string(a[0].Data[key]) == string(b[0].Data[key]) {
			t.Errorf("%s is the same in two renders", key)
		}
	}
	if a[0].Annotations["helm.sh/resource-policy"] != "keep" {
		t.Error("the Secret holding the master secret may be deleted by Helm")
	}
	given := objectsOf[*corev1.Secret](render(t, map[string]any{"secrets": map[string]any{"masterSecret": "0123456789abcdef-given"}}))
	if got := string(given[0].Data["master-secret"]); got != "0123456789abcdef-given" {
		t.Errorf("given master secret rendered as %q", got)
	}
}

// Kubernetes waits the grace period after the preStop hook started; the
// process needs its readiness delay, its drain and a flush inside it.
func TestShutdownFitsGracePeriod(t *testing.T) {
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			r := render(t, vals)
			for _, tt := range []struct{ component, readiness, drain string }{
				{"router", "BURNCLOUD_READINESS_DELAY", "BURNCLOUD_DRAIN_TIMEOUT"},
				{"control", "BURNCLOUD_CONTROL_READINESS_DELAY", "BURNCLOUD_CONTROL_DRAIN_TIMEOUT"},
				{"billing", "", "BURNCLOUD_DRAIN_TIMEOUT"},
			} {
				d := deployment(t, r, tt.component)
				c := d.Spec.Template.Spec.Containers[0]
				env := envByName(c)
				var need time.Duration
				if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
					need += time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
				}
				for _, v := range []string{tt.readiness, tt.drain} {
					if v == "" {
						continue
					}
					dur, err := time.ParseDuration(env[v].Value)
					if err != nil {
						t.Fatalf("%s: %s=%q: %v", tt.component, v, env[v].Value, err)
					}
					need += dur
				}
				grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
				if grace < need+5*time.Second {
					t.Errorf("%s: grace period %s leaves less than 5s after preStop, readiness delay and drain (%s)", tt.component, grace, need)
				}
			}
			router := deployment(t, r, "router").Spec.Template.Spec.Containers[0]
			if router.Lifecycle == nil || router.Lifecycle.PreStop == nil || router.Lifecycle.PreStop.Sleep == nil {
				t.Error("router has no preStop sleep")
			}
		})
	}
}

// The spool and the snapshot cache sit on the router's data volume.
func TestRouterDataVolume(t *testing.T) {
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			d := deployment(t, render(t, vals), "router")
			c := d.Spec.Template.Spec.Containers[0]
			env := envByName(c)
			var dataMount string
			for _, m := range c.VolumeMounts {
				if m.Name == "data" {
					dataMount = m.MountPath
				}
			}
			var emptyDir bool
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.Name == "data" && v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil {
					emptyDir = true
				}
			}
			if dataMount == "" || !emptyDir {
				t.Fatal("no size-limited emptyDir named data mounted")
			}
			for _, v := range []string{"BURNCLOUD_SPOOL_DIR", "BURNCLOUD_SNAPSHOT_CACHE"} {
				rel, err := filepath.Rel(dataMount, env[v].Value)
				if err != nil || rel == "." || filepath.IsAbs(rel) || strings.HasPrefix(rel, "..") {
					t.Errorf("%s=%q is not under the data volume %s", v, env[v].Value, dataMount)
				}
			}
		})
	}
}

func podSpec(obj any) (corev1.PodSpec, bool) {
	switch v := obj.(type) {
	case *appsv1.Deployment:
		return v.Spec.Template.Spec, true
	case *batchv1.Job:
		return v.Spec.Template.Spec, true
	}
	return corev1.PodSpec{}, false
}
