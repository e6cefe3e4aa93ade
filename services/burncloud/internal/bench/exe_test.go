package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestPrivateCopy(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "prog")
	want := bytes.Repeat([]byte("\x7fELF program bytes "), 4096)
	if err := os.WriteFile(src, want, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := privateCopy(src, dir, "copy")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("copy holds %d bytes, not the %d of the original", len(b), len(want))
	}
	si, _ := os.Stat(src)
	ci, err := os.Stat(got)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(si, ci) {
		t.Fatal("the copy is the original file: it would share its pages")
	}
	if ci.Mode().Perm()&0o100 == 0 {
		t.Fatalf("copy mode %v is not executable", ci.Mode())
	}
	// A second copy under the same name is refused, not written over a
	// program that may be running.
	if _, err := privateCopy(src, dir, "copy"); err == nil {
		t.Fatal("copying over an existing file succeeded")
	}
	if _, err := privateCopy(filepath.Join(dir, "missing"), dir, "other"); err == nil {
		t.Fatal("copying a missing file succeeded")
	}
}
