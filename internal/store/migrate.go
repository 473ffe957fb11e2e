package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrations[n] turns schema n into n+1. Each runs in its own transaction
// together with the new version number, so a crash leaves either the old or
// the new schema, never half of one.
var migrations = map[int]func(*bolt.Tx) error{
	0: createV1,
	1: v1toV2,
}

// createV1 is the first layout: meta, settings, secrets and sessions.
func createV1(tx *bolt.Tx) error {
	for _, b := range [][]byte{bMeta, bSettings, bSecrets, Sessions} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return tx.Bucket(bMeta).Put(kApp, appName)
}

// sessionV1 is how schema 1 stored a session: whole kWh from the meter only.
type sessionV1 struct {
	Charger string `json:"charger"`
	Start   int64  `json:"start"`
	End     int64  `json:"end"`
	VIN     string `json:"vin"`
	KWh     int    `json:"kwh"`
}

// v1toV2 adds the power history and per-charger and per-car totals, and
// moves sessions to watt-hours with the energy's source named.
func v1toV2(tx *bolt.Tx) error {
	for _, b := range [][]byte{Samples, Quarters, Lifetime} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	b := tx.Bucket(Sessions)
	type kv struct{ k, v []byte }
	var rewrites []kv
	err := b.ForEach(func(k, v []byte) error {
		var old sessionV1
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("session %x: %w", k, err)
		}
		nv, err := json.Marshal(map[string]any{
			"charger": old.Charger, "start": old.Start, "end": old.End, "vin": old.VIN,
			"energy_wh": old.KWh * 1000, "energy_source": "meter",
		})
		if err != nil {
			return err
		}
		rewrites = append(rewrites, kv{append([]byte(nil), k...), nv})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range rewrites {
		if err := b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) migrate() error {
	var from int
	err := s.db.View(func(tx *bolt.Tx) error {
		from = s.schema(tx)
		if from > 0 && !s.isOurs(tx) || from == 0 && tx.Bucket(bMeta) == nil && hasBuckets(tx) {
			return refuse(s.path, ErrForeign)
		}
		if from > Schema {
			return fmt.Errorf("store: %s was written by a newer twcmanager (schema %d; this one knows %d): update twcmanager, or move the file aside to start afresh", s.path, from, Schema)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for v := from; v < Schema; v++ {
		step := migrations[v]
		err := s.Update(func(tx *bolt.Tx) error {
			if err := step(tx); err != nil {
				return err
			}
			return putSchema(tx, v+1)
		})
		if err != nil {
			return fmt.Errorf("store: migrate %s from schema %d to %d: %w", s.path, v, v+1, err)
		}
	}
	return nil
}

func putSchema(tx *bolt.Tx, v int) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return tx.Bucket(bMeta).Put(kSchema, b[:])
}

func hasBuckets(tx *bolt.Tx) bool {
	found := false
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { found = true; return nil })
	return found
}
