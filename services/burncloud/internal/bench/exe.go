package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// privateCopy copies the executable src to dir/name and returns the copy's
// path. A process started from the harness's own executable file would
// share its code pages with the load generator, whose requests keep them
// warm in the processor's caches between that process's requests; the
// router, a program of its own, has no such help. A copy is a file of its
// own, so its pages are its process's alone (decision 0018).
func privateCopy(src, dir, name string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dst := filepath.Join(dir, name)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return dst, nil
}
