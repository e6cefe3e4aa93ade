package validate

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

var composeFile = filepath.Join(repoRoot, "docker-compose.yaml")

func loadCompose(t *testing.T, profiles ...string) *types.Project {
	t.Helper()
	p, err := LoadCompose(context.Background(), composeFile, nil, profiles...)
	if err != nil {
		t.Fatalf("load %s with profiles %v: %v", composeFile, profiles, err)
	}
	return p
}

func TestComposeServices(t *testing.T) {
	core := []string{"billing", "control", "fake-upstream", "nats", "postgres", "redis", "router-1", "router-2"}
	observability := []string{"grafana", "prometheus", "pyroscope"}
	tests := []struct {
		profiles []string
		want     []string
	}{
		{nil, core},
		{[]string{"observability"}, append(slices.Clone(core), observability...)},
	}
	for _, tt := range tests {
		p := loadCompose(t, tt.profiles...)
		got := p.ServiceNames()
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("profiles %v: services %v, want %v", tt.profiles, got, want)
		}
	}
}

// `docker compose up` comes up in order: every dependency is waited for
// until healthy (or, for one without a health check, started), and every
// service others wait on has a health check.
func TestComposeStartOrder(t *testing.T) {
	p := loadCompose(t, "observability")
	for _, s := range p.Services {
		for dep, cfg := range s.DependsOn {
			target, err := p.GetService(dep)
			if err != nil {
				t.Errorf("%s depends on unknown %s", s.Name, dep)
				continue
			}
			switch cfg.Condition {
			case types.ServiceConditionHealthy:
				if target.HealthCheck == nil || target.HealthCheck.Disable || len(target.HealthCheck.Test) == 0 {
					t.Errorf("%s waits for %s to be healthy, which has no health check", s.Name, dep)
				}
			case types.ServiceConditionStarted:
			default:
				t.Errorf("%s depends on %s with condition %q", s.Name, dep, cfg.Condition)
			}
		}
	}
	wants := map[string][]string{
		"control":  {"nats", "postgres"},
		"billing":  {"control"},
		"router-1": {"control", "fake-upstream", "nats", "redis"},
		"router-2": {"control", "fake-upstream", "nats", "redis"},
	}
	for name, deps := range wants {
		s, err := p.GetService(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deps {
			if s.DependsOn[d].Condition != types.ServiceConditionHealthy {
				t.Errorf("%s does not wait for %s to be healthy", name, d)
			}
		}
	}
}

// The BurnCloud services run the one image with the component as command,
// and get the settings the design names.
func TestComposeBurnCloudServices(t *testing.T) {
	p := loadCompose(t)
	tests := []struct {
		service string
		command string
		env     []string
	}{
		{"control", "burncloud-control", []string{"BURNCLOUD_DATABASE_URL", "BURNCLOUD_NATS_URL", "BURNCLOUD_SECRET", "BURNCLOUD_INTERNAL_TOKEN", "BURNCLOUD_ADMIN_KEY", "BURNCLOUD_BOOTSTRAP_FILE"}},
		{"billing", "burncloud-billing", []string{"BURNCLOUD_DATABASE_URL", "BURNCLOUD_NATS_URL"}},
		{"router-1", "burncloud-router", []string{"BURNCLOUD_CONTROL_URL", "BURNCLOUD_NATS_URL", "BURNCLOUD_REDIS_URL", "BURNCLOUD_SECRET", "BURNCLOUD_INTERNAL_TOKEN", "BURNCLOUD_SPOOL_DIR", "BURNCLOUD_ROUTER_ID", "BURNCLOUD_FLEET_SIZE"}},
		{"router-2", "burncloud-router", []string{"BURNCLOUD_CONTROL_URL", "BURNCLOUD_ROUTER_ID"}},
		{"fake-upstream", "burncloud fake-upstream --addr :9000", nil},
	}
	image := ""
	for _, tt := range tests {
		s, err := p.GetService(tt.service)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(s.Command, " "); got != tt.command {
			t.Errorf("%s: command %q, want %q", tt.service, got, tt.command)
		}
		if image == "" {
			image = s.Image
		}
		if s.Image != image || s.Build == nil || !strings.HasSuffix(s.Build.Dockerfile, "deploy/docker/Dockerfile") {
			t.Errorf("%s: image %q built from %+v, want the one BurnCloud image", tt.service, s.Image, s.Build)
		}
		if !s.ReadOnly {
			t.Errorf("%s: root filesystem is writable", tt.service)
		}
		for _, v := range tt.env {
			if val, ok := s.Environment[v]; !ok || val == nil || *val == "" {
				t.Errorf("%s: %s unset", tt.service, v)
			}
		}
	}
	r1, _ := p.GetService("router-1")
	r2, _ := p.GetService("router-2")
	if *r1.Environment["BURNCLOUD_ROUTER_ID"] == *r2.Environment["BURNCLOUD_ROUTER_ID"] {
		t.Error("the two routers share an id")
	}
}

// Files the compose file mounts exist in the repository.
func TestComposeMountsExist(t *testing.T) {
	p := loadCompose(t, "observability")
	n := 0
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			n++
			if !exists(v.Source) {
				t.Errorf("%s mounts %s, which does not exist", s.Name, v.Source)
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d bind mounts found", n)
	}
}

// Interpolation: an environment value replaces a default.
func TestComposeInterpolation(t *testing.T) {
	p, err := LoadCompose(context.Background(), composeFile, []string{"BURNCLOUD_IMAGE=registry.example.com/bc:1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := p.GetService("control")
	if s.Image != "registry.example.com/bc:1.2.3" {
		t.Errorf("image %q ignores BURNCLOUD_IMAGE", s.Image)
	}
}
