package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Where the CLI finds the control API when it is not told.
const (
	DefaultControlURL = "http://127.0.0.1:8081"
	// DefaultDataDir is the folder `burncloud dev` keeps its state in,
	// relative to the working directory.
	DefaultDataDir = ".burncloud"
	// URLFile and AdminKeyFile are the names, inside the data folder, of the
	// files `burncloud dev` writes its URL and admin key to.
	URLFile      = "url"
	AdminKeyFile = "admin-key"
)

// The environment variables the CLI reads.
const (
	EnvControlURL = "BURNCLOUD_CONTROL_URL"
	EnvAdminKey   = "BURNCLOUD_ADMIN_KEY"
	EnvDataDir    = "BURNCLOUD_DATA_DIR"
	EnvNATSURL    = "BURNCLOUD_NATS_URL"
)

// Lookup reads one environment variable; os.LookupEnv is one.
type Lookup func(key string) (string, bool)

// Endpoint is the control API to call and the key to call it with.
type Endpoint struct {
	URL      string
	AdminKey string
	// Source says where URL came from ("flag", "environment", "data folder
	// <dir>", "default"), for error hints.
	Source string
}

// ErrEndpoint is wrapped by every problem ResolveEndpoint reports.
var ErrEndpoint = errors.New("control endpoint")

// DataDir is the data folder: the flag when given, else BURNCLOUD_DATA_DIR,
// else DefaultDataDir.
func DataDir(flagDir string, env Lookup) string {
	if flagDir != "" {
		return flagDir
	}
	if v, ok := env(EnvDataDir); ok && v != "" {
		return v
	}
	return DefaultDataDir
}

// ResolveEndpoint decides which control API to talk to and with which key.
// Flags win, then BURNCLOUD_CONTROL_URL and BURNCLOUD_ADMIN_KEY. When neither
// variable is set and no URL flag is given, the files `burncloud dev` wrote
// in dataDir are used as a pair: the URL file, and the admin-key file unless
// a key flag is given. The key file is never paired with a URL from
// elsewhere, so a local dev key is not sent to another server. Without any
// of these the URL is DefaultControlURL and there is no key.
func ResolveEndpoint(flagURL, flagKey, dataDir string, env Lookup) (Endpoint, error) {
	envURL, hasEnvURL := env(EnvControlURL)
	envKey, hasEnvKey := env(EnvAdminKey)
	ep := Endpoint{URL: DefaultControlURL, AdminKey: flagKey, Source: "default"}
	switch {
	case flagURL != "":
		ep.URL, ep.Source = flagURL, "flag --control-url"
	case hasEnvURL && envURL != "":
		ep.URL, ep.Source = envURL, "environment "+EnvControlURL
	case !hasEnvURL && !hasEnvKey:
		u, found, err := readDataFile(dataDir, URLFile)
		if err != nil {
			return Endpoint{}, err
		}
		if found {
			ep.URL, ep.Source = u, "data folder "+dataDir
			if flagKey == "" {
				k, _, err := readDataFile(dataDir, AdminKeyFile)
				if err != nil {
					return Endpoint{}, err
				}
				ep.AdminKey = k
			}
		}
	}
	if ep.AdminKey == "" && hasEnvKey {
		ep.AdminKey = envKey
	}
	if err := checkControlURL(ep.URL); err != nil {
		return Endpoint{}, fmt.Errorf("%w: %s from %s: %w", ErrEndpoint, ep.URL, ep.Source, err)
	}
	ep.URL = strings.TrimRight(ep.URL, "/")
	return ep, nil
}

// readDataFile reads one trimmed line from dir/name; found is false when the
// file does not exist.
func readDataFile(dir, name string) (string, bool, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", ErrEndpoint, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", false, fmt.Errorf("%w: %s is empty", ErrEndpoint, path)
	}
	return v, true, nil
}

func checkControlURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("scheme must be http or https")
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}

// WriteEndpointFiles writes the files ResolveEndpoint reads: the URL
// world-readable, the key for the owner only. `burncloud dev` calls it.
func WriteEndpointFiles(dataDir, controlURL, adminKey string) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dataDir, URLFile), []byte(controlURL+"\n"), 0o644); err != nil {
		return err
	}
	keyPath := filepath.Join(dataDir, AdminKeyFile)
	if err := os.WriteFile(keyPath, []byte(adminKey+"\n"), 0o600); err != nil {
		return err
	}
	// WriteFile keeps the mode of a file that already existed.
	return os.Chmod(keyPath, 0o600)
}
