package cli

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func mapEnv(m map[string]string) Lookup {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestResolveEndpoint(t *testing.T) {
	withFiles := func(t *testing.T) string {
		dir := t.TempDir()
		if err := WriteEndpointFiles(dir, "http://127.0.0.1:3000", "dev-admin-key"); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	noFiles := func(t *testing.T) string { return t.TempDir() }

	tests := []struct {
		name             string
		dir              func(*testing.T) string
		flagURL, flagKey string
		env              map[string]string
		wantURL, wantKey string
		wantSource       string
	}{
		{name: "nothing: default, no key", dir: noFiles,
			wantURL: DefaultControlURL, wantSource: "default"},
		{name: "data folder files when no env", dir: withFiles,
			wantURL: "http://127.0.0.1:3000", wantKey: "dev-admin-key", wantSource: "data folder"},
		{name: "env URL wins over files, file key not used", dir: withFiles,
			env:     map[string]string{EnvControlURL: "https://control.example:8081"},
			wantURL: "https://control.example:8081", wantSource: "environment"},
		{name: "env key alone disables files", dir: withFiles,
			env:     map[string]string{EnvAdminKey: "env-key"},
			wantURL: DefaultControlURL, wantKey: "env-key", wantSource: "default"},
		{name: "both env", dir: withFiles,
			env:     map[string]string{EnvControlURL: "http://c:1", EnvAdminKey: "env-key"},
			wantURL: "http://c:1", wantKey: "env-key", wantSource: "environment"},
		{name: "set but empty env var still disables files", dir: withFiles,
			env:     map[string]string{EnvAdminKey: ""},
			wantURL: DefaultControlURL, wantSource: "default"},
		{name: "URL flag: files not paired with it", dir: withFiles, flagURL: "http://other:9",
			wantURL: "http://other:9", wantSource: "flag"},
		{name: "key flag with the file URL", dir: withFiles, flagKey: "flag-key",
			wantURL: "http://127.0.0.1:3000", wantKey: "flag-key", wantSource: "data folder"},
		{name: "flags win over env", dir: noFiles, flagURL: "http://flag:1", flagKey: "flag-key",
			env:     map[string]string{EnvControlURL: "http://env:1", EnvAdminKey: "env-key"},
			wantURL: "http://flag:1", wantKey: "flag-key", wantSource: "flag"},
		{name: "trailing slash trimmed", dir: noFiles, flagURL: "http://c:1/",
			wantURL: "http://c:1", wantSource: "flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			ep, err := ResolveEndpoint(tt.flagURL, tt.flagKey, dir, mapEnv(tt.env))
			if err != nil {
				t.Fatalf("ResolveEndpoint: %v", err)
			}
			if ep.URL != tt.wantURL || ep.AdminKey != tt.wantKey {
				t.Errorf("got URL %q key %q, want %q %q", ep.URL, ep.AdminKey, tt.wantURL, tt.wantKey)
			}
			if len(ep.Source) < len(tt.wantSource) || ep.Source[:len(tt.wantSource)] != tt.wantSource {
				t.Errorf("Source = %q, want prefix %q", ep.Source, tt.wantSource)
			}
		})
	}
}

func TestResolveEndpointErrors(t *testing.T) {
	emptyURL := t.TempDir()
	if err := os.WriteFile(filepath.Join(emptyURL, URLFile), []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badScheme := t.TempDir()
	if err := WriteEndpointFiles(badScheme, "ftp://x", "k"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		flagURL string
		dir     string
		env     map[string]string
	}{
		{name: "empty url file", dir: emptyURL},
		{name: "bad scheme in file", dir: badScheme},
		{name: "bad scheme in env", dir: t.TempDir(), env: map[string]string{EnvControlURL: "127.0.0.1:8081"}},
		{name: "no host", dir: t.TempDir(), flagURL: "http://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ResolveEndpoint(tt.flagURL, "", tt.dir, mapEnv(tt.env)); !errors.Is(err, ErrEndpoint) {
				t.Errorf("err = %v, want ErrEndpoint", err)
			}
		})
	}
}

func TestDataDir(t *testing.T) {
	tests := []struct {
		flag string
		env  map[string]string
		want string
	}{
		{want: DefaultDataDir},
		{env: map[string]string{EnvDataDir: "/srv/bc"}, want: "/srv/bc"},
		{flag: "here", env: map[string]string{EnvDataDir: "/srv/bc"}, want: "here"},
		{env: map[string]string{EnvDataDir: ""}, want: DefaultDataDir},
	}
	for _, tt := range tests {
		if got := DataDir(tt.flag, mapEnv(tt.env)); got != tt.want {
			t.Errorf("DataDir(%q, %v) = %q, want %q", tt.flag, tt.env, got, tt.want)
		}
	}
}

func TestWriteEndpointFilesKeyIsPrivate(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, AdminKeyFile)
	if err := os.WriteFile(key, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteEndpointFiles(dir, "http://127.0.0.1:3000", "k-123"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-key mode = %v, want 0600", fi.Mode().Perm())
	}
	ep, err := ResolveEndpoint("", "", dir, mapEnv(nil))
	if err != nil || ep.AdminKey != "k-123" || ep.URL != "http://127.0.0.1:3000" {
		t.Errorf("read back %+v, %v", ep, err)
	}
}
