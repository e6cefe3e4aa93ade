package control

import (
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/services/control/declarative"
)

// sealKeys turns the keys of a request into sealed keys, keeping the sealed
// form of keys the channel already holds (same id) and dropping repeats.
// The sealing itself is declarative.KeyringSealer's, so keys written here and
// by Apply compare equal.
func sealKeys(s *declarative.KeyringSealer, channel string, plain []string, existing []store.SealedKey) ([]store.SealedKey, error) {
	have := make(map[string]store.SealedKey, len(existing))
	for _, e := range existing {
		have[e.ID] = e
	}
	out := make([]store.SealedKey, 0, len(plain))
	seen := make(map[string]bool, len(plain))
	for _, p := range plain {
		id := s.KeyID(p)
		if seen[id] {
			continue
		}
		seen[id] = true
		if e, ok := have[id]; ok {
			out = append(out, e)
			continue
		}
		sk, err := s.SealKey(channel, p)
		if err != nil {
			return nil, err
		}
		out = append(out, sk)
	}
	return out, nil
}
