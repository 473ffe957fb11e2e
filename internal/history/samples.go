package history

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/twcmanager/twcmanager/internal/store"
)

// Sample is one minute of site power, averaged over the minute, in W.
type Sample struct {
	At          time.Time // the minute it covers (start)
	Charger     float64   // all chargers together
	Solar       float64   // the part of Charger the sun covered
	Generation  float64
	Consumption float64
	Grid        float64 // positive importing
	Has         SampleHas
}

// SampleHas says which of a sample's site values were known.
type SampleHas struct{ Generation, Consumption, Grid bool }

const sampleLen = 21

func (s Sample) encode() []byte {
	b := make([]byte, sampleLen)
	for i, v := range []float64{s.Charger, s.Solar, s.Generation, s.Consumption, s.Grid} {
		binary.BigEndian.PutUint32(b[i*4:], math.Float32bits(float32(v)))
	}
	b[20] = bits(s.Has.Generation, s.Has.Consumption, s.Has.Grid)
	return b
}

func decodeSample(k, b []byte) (Sample, error) {
	if len(b) != sampleLen || len(k) != 8 {
		return Sample{}, fmt.Errorf("history: sample record of %d bytes", len(b))
	}
	f := func(i int) float64 { return float64(math.Float32frombits(binary.BigEndian.Uint32(b[i*4:]))) }
	return Sample{
		At: time.Unix(int64(binary.BigEndian.Uint64(k))*60, 0), Charger: f(0), Solar: f(1),
		Generation: f(2), Consumption: f(3), Grid: f(4),
		Has: SampleHas{b[20]&1 != 0, b[20]&2 != 0, b[20]&4 != 0},
	}, nil
}

func bits(bs ...bool) byte {
	var out byte
	for i, b := range bs {
		if b {
			out |= 1 << i
		}
	}
	return out
}

// Quarter is a quarter hour of energy, in Wh, built from the minute samples
// that fell into it.
type Quarter struct {
	Start       time.Time
	Minutes     int
	Charged     float64
	Solar       float64
	Generation  float64
	Consumption float64
	Import      float64
	Export      float64
}

const quarterLen = 2 + 6*4

func (q Quarter) encode() []byte {
	b := make([]byte, quarterLen)
	binary.BigEndian.PutUint16(b, uint16(q.Minutes))
	for i, v := range []float64{q.Charged, q.Solar, q.Generation, q.Consumption, q.Import, q.Export} {
		binary.BigEndian.PutUint32(b[2+i*4:], math.Float32bits(float32(v)))
	}
	return b
}

func decodeQuarter(k, b []byte) (Quarter, error) {
	if len(b) != quarterLen || len(k) != 8 {
		return Quarter{}, fmt.Errorf("history: quarter record of %d bytes", len(b))
	}
	f := func(i int) float64 { return float64(math.Float32frombits(binary.BigEndian.Uint32(b[2+i*4:]))) }
	return Quarter{
		Start: time.Unix(int64(binary.BigEndian.Uint64(k))*int64(quarter/time.Second), 0), Minutes: int(binary.BigEndian.Uint16(b)),
		Charged: f(0), Solar: f(1), Generation: f(2), Consumption: f(3), Import: f(4), Export: f(5),
	}, nil
}

// add folds one minute sample into the quarter.
func (q *Quarter) add(s Sample) {
	q.Minutes++
	q.Charged += s.Charger / 60
	q.Solar += s.Solar / 60
	q.Generation += s.Generation / 60
	q.Consumption += s.Consumption / 60
	if s.Grid > 0 {
		q.Import += s.Grid / 60
	} else {
		q.Export -= s.Grid / 60
	}
}

// AddSamples writes a batch of minute samples in one transaction, folds them
// into their quarter hours, and drops what is past its retention.
func (d *DB) AddSamples(batch []Sample) error {
	if len(batch) == 0 {
		return nil
	}
	latest := batch[0].At
	err := d.st.Update(func(tx *bolt.Tx) error {
		sb, qb := tx.Bucket(store.Samples), tx.Bucket(store.Quarters)
		// Keys only ever grow, so pages can be filled: it halves the file.
		sb.FillPercent, qb.FillPercent = 0.95, 0.95
		for _, s := range batch {
			minute := uint64(s.At.Unix() / 60)
			if sb.Get(key(minute)) != nil {
				continue // already written: a retried batch must not count twice
			}
			if err := sb.Put(key(minute), s.encode()); err != nil {
				return err
			}
			qk := key(uint64(s.At.Unix() / int64(quarter/time.Second)))
			var q Quarter
			if v := qb.Get(qk); v != nil {
				var err error
				if q, err = decodeQuarter(qk, v); err != nil {
					return err
				}
			}
			q.add(s)
			if err := qb.Put(qk, q.encode()); err != nil {
				return err
			}
			if s.At.After(latest) {
				latest = s.At
			}
		}
		if err := prune(sb, uint64(latest.Add(-KeepSamples).Unix()/60)); err != nil {
			return err
		}
		return prune(qb, uint64(latest.Add(-KeepQuarters).Unix()/int64(quarter/time.Second)))
	})
	if err != nil {
		return fmt.Errorf("history: save %d samples: %w", len(batch), err)
	}
	return nil
}

// prune deletes keys below cut.
func prune(b *bolt.Bucket, cut uint64) error {
	c := b.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) < cut; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// Samples returns the minute samples in [from, to).
func (d *DB) Samples(from, to time.Time) ([]Sample, error) {
	var out []Sample
	err := d.scan(store.Samples, unitKey(from, time.Minute), unitKey(to, time.Minute), func(k, v []byte) error {
		s, err := decodeSample(k, v)
		out = append(out, s)
		return err
	})
	return out, err
}

// Quarters returns the quarter hours in [from, to), for charts.
func (d *DB) Quarters(from, to time.Time) ([]Quarter, error) {
	var out []Quarter
	err := d.scan(store.Quarters, unitKey(from, quarter), unitKey(to, quarter), func(k, v []byte) error {
		x, err := decodeQuarter(k, v)
		out = append(out, x)
		return err
	})
	return out, err
}

func (d *DB) scan(bucket []byte, lo, hi uint64, fn func(k, v []byte) error) error {
	err := d.st.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(key(lo)); k != nil && binary.BigEndian.Uint64(k) < hi; k, v = c.Next() {
			if err := fn(k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history: read %s: %w", bucket, err)
	}
	return nil
}

// unitKey numbers t in units since 1970; times before are 0, so a zero
// time.Time means "from the beginning".
func unitKey(t time.Time, unit time.Duration) uint64 {
	return uint64(max(t.Unix()/int64(unit/time.Second), 0))
}
