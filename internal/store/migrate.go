package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

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
// moves sessions to watt-hours with the energy's source named, in the form
// history.Session reads: the ID in the record, the charger as a number,
// times in RFC 3339.
func v1toV2(tx *bolt.Tx) error {
	for _, b := range [][]byte{Samples, Quarters, Lifetime} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	b := tx.Bucket(Sessions)
	type kv struct{ k, v []byte }
	var rewrites []kv
	var last uint64
	err := b.ForEach(func(k, v []byte) error {
		var old sessionV1
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("session %x: %w", k, err)
		}
		if len(k) != 8 {
			return fmt.Errorf("session %x: key of %d bytes", k, len(k))
		}
		charger, err := strconv.ParseUint(old.Charger, 16, 16)
		if err != nil {
			return fmt.Errorf("session %x: charger %q: %w", k, old.Charger, err)
		}
		id := binary.BigEndian.Uint64(k)
		last = max(last, id)
		s := map[string]any{
			"id": id, "charger": charger, "vin": old.VIN,
			"energy_wh": old.KWh * 1000, "energy_source": "meter",
		}
		if old.Start != 0 {
			s["start"] = time.Unix(old.Start, 0).UTC()
		}
		if old.End != 0 {
			s["end"] = time.Unix(old.End, 0).UTC()
			s["updated"] = s["end"]
		}
		nv, err := json.Marshal(s)
		if err != nil {
			return err
		}
		// Schema 1 had no totals: finished sessions count toward them now.
		if old.End != 0 {
			if err := AddLifetime(tx, fmt.Sprintf("charger/%04X", charger), float64(old.KWh*1000)); err != nil {
				return err
			}
			if old.VIN != "" {
				if err := AddLifetime(tx, "car/"+old.VIN, float64(old.KWh*1000)); err != nil {
					return err
				}
			}
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
	// New sessions take their IDs from the sequence: past the old ones.
	if b.Sequence() < last {
		return b.SetSequence(last)
	}
	return nil
}

func (s *Store) migrate() error {
	var from int
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		from, err = s.identify(tx)
		return err
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

// identify returns the file's schema. It refuses a file with buckets that
// does not name twcmanager in its meta bucket (another application's, even
// one with a bucket called meta) and one written by a newer twcmanager.
func (s *Store) identify(tx *bolt.Tx) (int, error) {
	if hasBuckets(tx) && !s.isOurs(tx) {
		return 0, refuse(s.path, ErrForeign)
	}
	v := s.schema(tx)
	if v > Schema {
		return v, fmt.Errorf("store: %s was written by a newer twcmanager (schema %d; this one knows %d): update twcmanager, or move the file aside to start afresh", s.path, v, Schema)
	}
	return v, nil
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
