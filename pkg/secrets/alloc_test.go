// The race detector makes sync.Pool drop items on purpose, so allocation
// counts are only meaningful without it.

//go:build !race

package secrets

import (
	"strings"
	"testing"
)

func TestTokenDigestDoesNotAllocate(t *testing.T) {
	k := newTestKeyring(t, testMaster)
	for _, n := range []int{49, 300} { // one copy chunk, and several
		secret := "sk-bc-" + strings.Repeat("A", n-6)
		allocs := testing.AllocsPerRun(1000, func() { _ = k.TokenDigest(secret) })
		if allocs != 0 {
			t.Fatalf("TokenDigest of %d chars allocates %v times per call", n, allocs)
		}
	}
}
