package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/burncloud/burncloud/pkg/secrets"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

// cacheAD binds the sealed file to its use, so no other sealed blob of the
// same purpose can be passed off as a snapshot.
var cacheAD = []byte("burncloud router snapshot cache v1")

// ErrNoCache is returned by Load when no cache file exists.
var ErrNoCache = errors.New("snapshot cache: no file")

// Cache is the last good snapshot on disk, sealed with the snapshot-cache
// subkey: it holds upstream keys in clear inside.
type Cache struct {
	path string
	keys *secrets.Keyring
}

// NewCache returns a cache stored at path.
func NewCache(path string, keys *secrets.Keyring) *Cache { return &Cache{path: path, keys: keys} }

// Path is where the cache lives.
func (c *Cache) Path() string { return c.path }

// Save writes x atomically: a crash leaves the old file or the new one.
func (c *Cache) Save(x *Index) error {
	page := &snapshotv1.SnapshotPage{Revision: x.Revision(), First: true, Last: true, Entities: x.Entities()}
	plain, err := proto.Marshal(page)
	if err != nil {
		return fmt.Errorf("snapshot cache: encode: %w", err)
	}
	sealed, err := c.keys.Seal(secrets.PurposeSnapshotCache, plain, cacheAD)
	clear(plain)
	if err != nil {
		return fmt.Errorf("snapshot cache: seal: %w", err)
	}
	dir := filepath.Dir(c.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("snapshot cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(c.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("snapshot cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(sealed); err != nil {
		tmp.Close()
		return fmt.Errorf("snapshot cache: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("snapshot cache: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("snapshot cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("snapshot cache: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // makes the rename durable where the platform allows it
		d.Close()
	}
	return nil
}

// Load reads the cache. It returns ErrNoCache when there is none, and
// secrets.ErrDecrypt when it was sealed under another master secret or
// tampered with.
func (c *Cache) Load() (*Index, []error, error) {
	sealed, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNoCache
	}
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot cache: %w", err)
	}
	plain, err := c.keys.Open(secrets.PurposeSnapshotCache, sealed, cacheAD)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot cache: %w", err)
	}
	var page snapshotv1.SnapshotPage
	err = proto.Unmarshal(plain, &page)
	clear(plain)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot cache: decode: %w", err)
	}
	x, problems := Build(page.GetRevision(), page.GetEntities())
	return x, problems, nil
}
