package control

import (
	"fmt"
	"testing"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/services/control/declarative"
)

// BenchmarkSnapshotEntities converts a state of 100 channels (2 keys each,
// decrypted) and 1000 tokens: the cost of one full snapshot for a router.
func BenchmarkSnapshotEntities(b *testing.B) {
	ring, err := secrets.New([]byte("bench-master-secret-0123456789"))
	if err != nil {
		b.Fatal(err)
	}
	s := declarative.NewKeyringSealer(ring)
	var st store.State
	for i := range 100 {
		name := fmt.Sprintf("ch-%d", i)
		var keys []store.SealedKey
		for j := range 2 {
			k, err := s.SealKey(name, fmt.Sprintf("sk-upstream-%d-%d-0123456789", i, j))
			if err != nil {
				b.Fatal(err)
			}
			keys = append(keys, k)
		}
		st.Channels = append(st.Channels, store.Channel{Channel: &adminv1.Channel{Name: name, Models: []string{"gpt-4o"}}, Keys: keys})
	}
	for i := range 1000 {
		d := ring.TokenDigest(fmt.Sprint(i))
		st.Tokens = append(st.Tokens, store.Token{ID: int64(i), Token: &adminv1.Token{User: "u", Name: fmt.Sprint(i)}, Digest: d[:]})
	}
	b.ReportAllocs()
	for b.Loop() {
		ents, err := entities(s, st)
		if err != nil || len(ents) != 1100 {
			b.Fatal(len(ents), err)
		}
	}
}
