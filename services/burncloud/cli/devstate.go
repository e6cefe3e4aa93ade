package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Files `burncloud dev` keeps in its data folder besides URLFile and
// AdminKeyFile. Secrets are readable by the owner only.
const (
	SecretFile        = "secret"
	InternalTokenFile = "internal-token"
	DemoKeyFile       = "demo-key"
	NATSURLFile       = "nats-url"
	lockFile          = "dev.lock"
	sqliteFile        = "burncloud.db"
)

// ErrDataDirInUse: another `burncloud dev` runs on the same data folder.
var ErrDataDirInUse = errors.New("data folder in use by another burncloud dev")

// devSecrets are the credentials of one dev gateway, generated on its first
// start and reused afterwards so keys and sealed channel keys stay valid.
type devSecrets struct {
	Secret        string // master secret: token digests, channel-key sealing
	InternalToken string // router → control
	AdminKey      string // owner credential, also what the CLI uses
	DemoKey       string // the demo user's API key; "" unless --demo
	created       []string
}

// secretSpec names one credential: its file, the prefix of generated values
// and the environment variable that overrides it.
type secretSpec struct {
	file, prefix, env string
	dst               *string
}

// loadSecrets reads each credential from the environment when set there,
// else from its file in dir, else generates and stores it (0600).
func loadSecrets(dir string, env Lookup, demo bool) (devSecrets, error) {
	var s devSecrets
	specs := []secretSpec{
		{SecretFile, "", "BURNCLOUD_SECRET", &s.Secret},
		{InternalTokenFile, "", "BURNCLOUD_INTERNAL_TOKEN", &s.InternalToken},
		{AdminKeyFile, "sk-bc-admin-", EnvAdminKey, &s.AdminKey},
	}
	if demo {
		specs = append(specs, secretSpec{DemoKeyFile, "sk-bc-demo-", "", &s.DemoKey})
	}
	var errs []error
	for _, sp := range specs {
		if sp.env != "" {
			if v, ok := env(sp.env); ok && v != "" {
				if len(v) < minSecretLen {
					errs = append(errs, fmt.Errorf("%s must be at least %d bytes", sp.env, minSecretLen))
				}
				*sp.dst = v
				continue
			}
		}
		v, created, err := loadOrCreate(dir, sp.file, sp.prefix)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if created {
			s.created = append(s.created, sp.file)
		}
		*sp.dst = v
	}
	return s, errors.Join(errs...)
}

// minSecretLen is control's minimum for the master secret, the internal
// token and the admin key.
const minSecretLen = 16

// loadOrCreate returns the trimmed content of dir/name, or writes a new
// random value there when the file does not exist. The file is written
// whole under a temporary name and renamed, so a crash leaves no half key.
func loadOrCreate(dir, name, prefix string) (string, bool, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		v := strings.TrimSpace(string(b))
		if len(v) < minSecretLen {
			return "", false, fmt.Errorf("%s: shorter than %d bytes; delete it to have a new one generated", path, minSecretLen)
		}
		return v, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, err
	}
	v, err := randomSecret(prefix)
	if err != nil {
		return "", false, err
	}
	if err := writeSecretFile(path, v); err != nil {
		return "", false, err
	}
	return v, true, nil
}

func randomSecret(prefix string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b), nil
}

func writeSecretFile(path, value string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.WriteString(value + "\n")
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// lockDataDir holds an exclusive lock on dir until the returned file is
// closed, so two dev gateways never share one folder.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrDataDirInUse, dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}

// writeDataFile writes one world-readable line into the data folder.
func writeDataFile(dir, name, value string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(value+"\n"), 0o644)
}
