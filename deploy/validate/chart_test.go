package validate

import (
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

func TestLint(t *testing.T) {
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			if err := Lint(chartDir, vals); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRenderKinds(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   map[string]int // kind -> count, hooks included
	}{
		{"default", nil, map[string]int{
			"Deployment": 3, "Service": 3, "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 3,
			"Secret": 1, "ServiceAccount": 1, "Job": 1,
		}},
		{"all-on", allOn(t), map[string]int{
			"Deployment": 3, "Service": 3, "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 3,
			"Secret": 1, "ServiceAccount": 1, "Job": 1, "ConfigMap": 1, "Ingress": 2,
			"NetworkPolicy": 3, "ServiceMonitor": 1,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, tt.values)
			got := map[string]int{}
			for _, o := range r.Objects {
				got[o.Obj.GetObjectKind().GroupVersionKind().Kind]++
			}
			for kind, n := range tt.want {
				if got[kind] != n {
					t.Errorf("%d %s objects, want %d", got[kind], kind, n)
				}
			}
			for kind := range got {
				if _, ok := tt.want[kind]; !ok {
					t.Errorf("unexpected %d %s objects", got[kind], kind)
				}
			}
		})
	}
}

// The decoder must refuse what the API server would: unknown fields, fields
// of the wrong type, duplicate fields and unknown kinds.
func TestDecoderIsStrict(t *testing.T) {
	dec := testDecoder(t)
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"valid", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n", true},
		{"unknown field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndatas: {k: v}\n", false},
		{"nested unknown field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replica: 2}\n", false},
		{"wrong type", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 5}\n", false},
		{"duplicate field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\ndata: {k: w}\n", false},
		{"unknown kind", "apiVersion: v1\nkind: Widget\nmetadata: {name: a}\n", false},
		{"servicemonitor unknown field", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: a}\nspec: {endpoint: []}\n", false},
		{"servicemonitor", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: a}\nspec: {endpoints: [{port: http}]}\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dec.Decode([]byte(tt.doc))
			if (err == nil) != tt.ok {
				t.Fatalf("Decode ok=%v, want ok=%v (err %v)", err == nil, tt.ok, err)
			}
		})
	}
}

// Every Deployment: its selector picks its pods, a Service on port "http"
// selects them, probes use /readyz and /healthz, and it runs non-root on a
// read-only root filesystem without a service account token.
func TestWorkloads(t *testing.T) {
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			r := render(t, vals)
			services := objectsOf[*corev1.Service](r)
			for _, d := range objectsOf[*appsv1.Deployment](r) {
				checkWorkload(t, d, services)
			}
			for _, pdb := range objectsOf[*policyv1.PodDisruptionBudget](r) {
				if !selectsSomeDeployment(r, pdb.Spec.Selector.MatchLabels) {
					t.Errorf("PDB %s selects no Deployment's pods", pdb.Name)
				}
			}
		})
	}
}

func checkWorkload(t *testing.T, d *appsv1.Deployment, services []*corev1.Service) {
	t.Helper()
	pod := d.Spec.Template
	if !subset(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("%s: selector %v does not match pod labels %v", d.Name, d.Spec.Selector.MatchLabels, pod.Labels)
	}
	var svc *corev1.Service
	for _, s := range services {
		if subset(s.Spec.Selector, pod.Labels) {
			svc = s
		}
	}
	if svc == nil || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Errorf("%s: no Service with target port http selects its pods", d.Name)
	}
	ps := pod.Spec
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("%s: service account token mounted", d.Name)
	}
	if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: pod may run as root", d.Name)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", d.Name, len(ps.Containers))
	}
	c := ps.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("%s: container security context %+v is not locked down", d.Name, sc)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" {
		t.Errorf("%s: ports %v, want one named http", d.Name, c.Ports)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.StrVal != "http" {
		t.Errorf("%s: readiness probe is not GET /readyz on http", d.Name)
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.StrVal != "http" {
		t.Errorf("%s: liveness probe is not GET /healthz on http", d.Name)
	}
	if len(c.Command) != 1 || c.Command[0] != "burncloud-"+d.Labels["app.kubernetes.io/component"] {
		t.Errorf("%s: command %v", d.Name, c.Command)
	}
	// A read-only root filesystem: whatever the process writes is a volume.
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounted[m.Name] = true
	}
	for _, v := range ps.Volumes {
		if !mounted[v.Name] {
			t.Errorf("%s: volume %s is not mounted", d.Name, v.Name)
		}
	}
	if addr := envByName(c)["BURNCLOUD_"+strings.ToUpper(d.Labels["app.kubernetes.io/component"])+"_ADDR"].Value; addr != ":"+strconv.Itoa(int(c.Ports[0].ContainerPort)) {
		t.Errorf("%s: listen address %q does not match container port %d", d.Name, addr, c.Ports[0].ContainerPort)
	}
}

func selectsSomeDeployment(r *Rendered, sel map[string]string) bool {
	for _, d := range objectsOf[*appsv1.Deployment](r) {
		if subset(sel, d.Spec.Template.Labels) {
			return true
		}
	}
	return false
}

func TestRouterAutoscaling(t *testing.T) {
	r := render(t, nil)
	d := deployment(t, r, "router")
	if d.Spec.Replicas != nil {
		t.Errorf("router Deployment sets replicas %d while the HPA owns them", *d.Spec.Replicas)
	}
	hpas := objectsOf[*autoscalingv2.HorizontalPodAutoscaler](r)
	if len(hpas) != 1 || hpas[0].Spec.ScaleTargetRef.Name != d.Name || hpas[0].Spec.ScaleTargetRef.Kind != "Deployment" {
		t.Fatalf("HPA does not target %s", d.Name)
	}
	if got := envByName(d.Spec.Template.Spec.Containers[0])["BURNCLOUD_FLEET_SIZE"].Value; got != "10" {
		t.Errorf("fleet size %q with autoscaling, want maxReplicas 10", got)
	}
	off := render(t, map[string]any{"router": map[string]any{"autoscaling": map[string]any{"enabled": false}, "replicas": 4}})
	if got := deployment(t, off, "router").Spec.Replicas; got == nil || *got != 4 {
		t.Errorf("autoscaling off: replicas %v, want 4", got)
	}
	if got := envByName(deployment(t, off, "router").Spec.Template.Spec.Containers[0])["BURNCLOUD_FLEET_SIZE"].Value; got != "4" {
		t.Errorf("fleet size %q without autoscaling, want replicas 4", got)
	}
	if n := len(objectsOf[*autoscalingv2.HorizontalPodAutoscaler](off)); n != 0 {
		t.Errorf("autoscaling off: %d HPAs", n)
	}
}

func TestControlDefaults(t *testing.T) {
	r := render(t, nil)
	d := deployment(t, r, "control")
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("control replicas %v, want 2", d.Spec.Replicas)
	}
}

// The migration runs as a pre-install/pre-upgrade hook; when the chart holds
// the database URL, a hook Secret made before the Job carries it.
func TestMigrationHook(t *testing.T) {
	tests := []struct {
		name       string
		values     map[string]any
		wantSecret string // Secret the Job reads the URL from
		hookSecret bool
	}{
		{"url in values", map[string]any{"database": map[string]any{"url": "postgres://u:p@db:5432/burncloud"}}, "burncloud-migrate", true},
		{"existing secret", allOn(t), "burncloud-postgres", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, tt.values)
			var job *batchv1.Job
			var hookSecrets []*corev1.Secret
			for _, o := range r.Objects {
				switch v := o.Obj.(type) {
				case *batchv1.Job:
					if !o.Hook {
						t.Fatalf("Job %s is not a hook", v.Name)
					}
					job = v
				case *corev1.Secret:
					if o.Hook {
						hookSecrets = append(hookSecrets, v)
					}
				}
			}
			if job == nil {
				t.Fatal("no migration Job")
			}
			if got := job.Annotations["helm.sh/hook"]; got != "pre-install,pre-upgrade" {
				t.Errorf("hook %q", got)
			}
			c := job.Spec.Template.Spec.Containers[0]
			if strings.Join(c.Command, " ") != "burncloud-control migrate" {
				t.Errorf("command %v", c.Command)
			}
			ref := envByName(c)["BURNCLOUD_DATABASE_URL"].ValueFrom
			if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != tt.wantSecret {
				t.Fatalf("database URL from %+v, want Secret %s", ref, tt.wantSecret)
			}
			if (len(hookSecrets) == 1) != tt.hookSecret {
				t.Fatalf("%d hook Secrets, want hook Secret %v", len(hookSecrets), tt.hookSecret)
			}
			if tt.hookSecret {
				s := hookSecrets[0]
				sw, _ := strconv.Atoi(s.Annotations["helm.sh/hook-weight"])
				jw, _ := strconv.Atoi(job.Annotations["helm.sh/hook-weight"])
				if s.Name != tt.wantSecret || sw >= jw {
					t.Errorf("hook Secret %s (weight %s) must come before the Job (weight %s)", s.Name,
						s.Annotations["helm.sh/hook-weight"], job.Annotations["helm.sh/hook-weight"])
				}
			}
		})
	}
}

func TestServiceMonitor(t *testing.T) {
	r := render(t, allOn(t))
	sms := objectsOf[*monitoringv1.ServiceMonitor](r)
	if len(sms) != 1 {
		t.Fatalf("%d ServiceMonitors", len(sms))
	}
	sm := sms[0]
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("endpoints %+v", sm.Spec.Endpoints)
	}
	n := 0
	for _, s := range objectsOf[*corev1.Service](r) {
		if subset(sm.Spec.Selector.MatchLabels, s.Labels) {
			n++
		}
	}
	if n != 3 {
		t.Errorf("ServiceMonitor selects %d Services, want 3", n)
	}
}

func TestIngress(t *testing.T) {
	r := render(t, allOn(t))
	services := map[string]bool{}
	for _, s := range objectsOf[*corev1.Service](r) {
		services[s.Name] = true
	}
	for _, ing := range objectsOf[*networkingv1.Ingress](r) {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				if !services[p.Backend.Service.Name] || p.Backend.Service.Port.Name != "http" {
					t.Errorf("Ingress %s routes to %+v, not a rendered Service's http port", ing.Name, p.Backend.Service)
				}
			}
		}
	}
}

func TestNotes(t *testing.T) {
	for name, vals := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			notes := render(t, vals).Notes
			for _, want := range []string{"/v1/chat/completions", "BURNCLOUD_ADMIN_KEY", "BURNCLOUD_CONTROL_URL", "Authorization: Bearer"} {
				if !strings.Contains(notes, want) {
					t.Errorf("NOTES.txt lacks %q", want)
				}
			}
		})
	}
	if notes := render(t, nil).Notes; !strings.Contains(notes, "no database is configured") {
		t.Error("NOTES.txt does not warn that the default values configure no database")
	}
}
