package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/burncloud/burncloud/pkg/secrets"
)

func TestCacheRoundTrip(t *testing.T) {
	kr := testKeyring(t, testMaster)
	path := filepath.Join(t.TempDir(), "sub", "snapshot.cache")
	c := NewCache(path, kr)
	if _, _, err := c.Load(); !errors.Is(err, ErrNoCache) {
		t.Fatalf("Load of a missing file: %v", err)
	}
	x, _ := Build(42, baseEntities(kr))
	if err := c.Save(x); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("sk-upstream-main")) || bytes.Contains(raw, []byte("gpt-4o")) {
		t.Fatal("cache file holds clear text")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("cache file mode %v is readable by others", fi.Mode())
	}
	y, problems, err := c.Load()
	if err != nil || len(problems) != 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
	if y.Revision() != 42 {
		t.Errorf("revision = %d", y.Revision())
	}
	if _, ok := y.Token(kr.TokenDigest("sk-bc-alice")); !ok {
		t.Error("token lost")
	}
	if ch, ok := y.Channel("main"); !ok || ch.Keys[0].Secret != "sk-upstream-main" {
		t.Error("channel key lost")
	}
	if len(y.Route("gpt-4o", "default")) != 1 {
		t.Error("routes not rebuilt")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestCacheRefusesOtherKeyAndTampering(t *testing.T) {
	kr := testKeyring(t, testMaster)
	path := filepath.Join(t.TempDir(), "snapshot.cache")
	x, _ := Build(1, baseEntities(kr))
	if err := NewCache(path, kr).Save(x); err != nil {
		t.Fatal(err)
	}
	other := testKeyring(t, "another-master-secret-entirely")
	if _, _, err := NewCache(path, other).Load(); !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("Load under another secret: %v", err)
	}
	raw, _ := os.ReadFile(path)
	raw[len(raw)/2] ^= 1
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewCache(path, kr).Load(); !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("Load of a tampered file: %v", err)
	}
}
