package history

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/twcmanager/twcmanager/internal/store"
)

// Retention.
const (
	KeepSamples  = 48 * time.Hour
	KeepQuarters = 2 * 365 * 24 * time.Hour
	quarter      = 15 * time.Minute
)

// DB is the history in a store.
type DB struct{ st *store.Store }

// New returns the history kept in st.
func New(st *store.Store) *DB { return &DB{st: st} }

func key(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// StartSession saves a new session and returns it with its ID. It is
// committed when StartSession returns.
func (d *DB) StartSession(s Session) (Session, error) {
	err := d.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(store.Sessions)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		s.ID = id
		return putJSON(b, key(id), s)
	})
	if err != nil {
		return s, fmt.Errorf("history: save new session: %w", err)
	}
	return s, nil
}

// UpdateSession saves a running session's progress.
func (d *DB) UpdateSession(s Session) error {
	err := d.st.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(store.Sessions), key(s.ID), s) })
	if err != nil {
		return fmt.Errorf("history: save session %d: %w", s.ID, err)
	}
	return nil
}

// EndSession closes s at end and adds its energy to the lifetime counters of
// its charger and car, in one transaction committed on return.
func (d *DB) EndSession(s Session, end time.Time) (Session, error) {
	s.End, s.Updated = end, end
	s.settle()
	err := d.st.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(store.Sessions), key(s.ID), s); err != nil {
			return err
		}
		if err := store.AddLifetime(tx, "charger/"+s.Charger.String(), s.EnergyWh); err != nil {
			return err
		}
		if s.VIN != "" {
			return store.AddLifetime(tx, "car/"+s.VIN, s.EnergyWh)
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("history: end session %d: %w", s.ID, err)
	}
	return s, nil
}

// Sessions returns the sessions that started in [from, to), plus those
// without a start time yet, oldest first.
func (d *DB) Sessions(from, to time.Time) ([]Session, error) {
	var out []Session
	err := d.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.Sessions).ForEach(func(_, v []byte) error {
			var s Session
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if s.Start.IsZero() || !s.Start.Before(from) && s.Start.Before(to) {
				out = append(out, s)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("history: read sessions: %w", err)
	}
	return out, nil
}

// OpenSessions returns sessions left running, as after a crash.
func (d *DB) OpenSessions() ([]Session, error) {
	all, err := d.Sessions(time.Time{}, time.Unix(math.MaxInt32*8, 0))
	var open []Session
	for _, s := range all {
		if s.Open() {
			open = append(open, s)
		}
	}
	return open, err
}

// Lifetime returns the energy per charger ("charger/1839") and per car
// ("car/<VIN>") in Wh.
func (d *DB) Lifetime() (map[string]float64, error) {
	out := map[string]float64{}
	err := d.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.Lifetime).ForEach(func(k, v []byte) error {
			out[string(k)] = store.LifetimeValue(v)
			return nil
		})
	})
	return out, err
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
