package snapshot

import "maps"

// shardMap splits a large map into 256 shards so that a change copies only
// the shards it touches: the index is immutable, and copying every token on
// each change would cost O(tokens) per settlement batch.
type shardMap[K comparable, V any] struct {
	s [256]map[K]V
}

func (m *shardMap[K, V]) get(shard uint8, k K) (V, bool) {
	v, ok := m.s[shard][k]
	return v, ok
}

func (m *shardMap[K, V]) len() int {
	n := 0
	for _, s := range m.s {
		n += len(s)
	}
	return n
}

func (m *shardMap[K, V]) all(yield func(K, V) bool) {
	for _, s := range m.s {
		for k, v := range s {
			if !yield(k, v) {
				return
			}
		}
	}
}

// shardEditor makes a changed copy of a shardMap, copying each shard at
// most once.
type shardEditor[K comparable, V any] struct {
	out    shardMap[K, V]
	copied [256]bool
}

func newShardEditor[K comparable, V any](base *shardMap[K, V]) *shardEditor[K, V] {
	return &shardEditor[K, V]{out: *base}
}

func (e *shardEditor[K, V]) own(shard uint8) map[K]V {
	if !e.copied[shard] {
		if e.out.s[shard] == nil {
			e.out.s[shard] = make(map[K]V)
		} else {
			e.out.s[shard] = maps.Clone(e.out.s[shard])
		}
		e.copied[shard] = true
	}
	return e.out.s[shard]
}

func (e *shardEditor[K, V]) set(shard uint8, k K, v V) { e.own(shard)[k] = v }

func (e *shardEditor[K, V]) del(shard uint8, k K) {
	if _, ok := e.out.s[shard][k]; ok {
		delete(e.own(shard), k)
	}
}

func (e *shardEditor[K, V]) get(shard uint8, k K) (V, bool) { return e.out.get(shard, k) }

// nameShard spreads names over the shards (FNV-1a).
func nameShard(s string) uint8 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return uint8(h ^ h>>8 ^ h>>16 ^ h>>24)
}

func idShard(id int64) uint8 { return uint8(id ^ id>>8) }
