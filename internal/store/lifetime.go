package store

import (
	"encoding/binary"
	"math"

	bolt "go.etcd.io/bbolt"
)

// AddLifetime adds wh to the lifetime counter called name ("charger/1839",
// "car/<VIN>") within tx. The counters are float64 bits, big-endian; this
// file is the one place that knows.
func AddLifetime(tx *bolt.Tx, name string, wh float64) error {
	b := tx.Bucket(Lifetime)
	var out [8]byte
	binary.BigEndian.PutUint64(out[:], math.Float64bits(LifetimeValue(b.Get([]byte(name)))+wh))
	return b.Put([]byte(name), out[:])
}

// LifetimeValue decodes a lifetime counter (0 when absent).
func LifetimeValue(v []byte) float64 {
	if len(v) != 8 {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v))
}
