package store_test

import (
	"encoding/binary"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/twcmanager/twcmanager/internal/history"
	"github.com/twcmanager/twcmanager/internal/store"
	"github.com/twcmanager/twcmanager/internal/twc"
)

// copyFixture puts testdata/schema1.db at the data path of a new directory,
// after checking that it still is a schema 1 file.
func copyFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(store.Schema1Fixture.Path)
	if err != nil {
		t.Fatalf("%v (write it with: go test ./internal/store -run TestWriteSchema1Fixture -update)", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, store.FileName)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte("meta"))
		if m == nil || len(m.Get([]byte("schema"))) != 8 || binary.BigEndian.Uint64(m.Get([]byte("schema"))) != 1 {
			t.Fatal("the fixture is not a schema 1 file")
		}
		if tx.Bucket(store.Samples) != nil {
			t.Fatal("the fixture has schema 2's buckets")
		}
		return nil
	})
	return dir
}

func TestMigrateSchema1(t *testing.T) {
	fx := store.Schema1Fixture
	dir := copyFixture(t)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	if v := store.SchemaOf(st); v != store.Schema {
		t.Fatalf("schema %d after migration, want %d", v, store.Schema)
	}

	// Settings and secrets are kept.
	got, found, err := st.Settings()
	if err != nil || !found {
		t.Fatalf("settings: found=%v err=%v", found, err)
	}
	want := fx.Settings()
	if got.Policy.Mode != want.Policy.Mode || got.Policy.ChargeNow.Amps != want.Policy.ChargeNow.Amps ||
		got.Electrical.Volts != want.Electrical.Volts || got.Wiring.Shared != want.Wiring.Shared {
		t.Errorf("settings not kept: got %+v", got)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("migrated settings are invalid: %v", err)
	}
	if v, err := st.Secret(fx.SecretName); err != nil || v.Reveal() != fx.Secret {
		t.Errorf("secret %s = %q, %v", fx.SecretName, v.Reveal(), err)
	}

	// Sessions are readable by history, in Wh from the meter.
	h := history.New(st)
	check := func(h *history.DB, added int) {
		t.Helper()
		ss, err := h.Sessions(time.Time{}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("history cannot read the migrated sessions: %v", err)
		}
		if len(ss) != len(fx.Sessions)+added {
			t.Fatalf("%d sessions, want %d: %+v", len(ss), len(fx.Sessions)+added, ss)
		}
		for i, s := range ss[:len(fx.Sessions)] {
			old := fx.Sessions[i]
			charger, _ := strconv.ParseUint(old.Charger, 16, 16)
			if s.ID != uint64(i+1) || s.Charger != twc.ID(charger) || s.VIN != old.VIN ||
				!s.Start.Equal(time.Unix(old.Start, 0)) {
				t.Errorf("session %d: %+v, from %+v", i+1, s, old)
			}
			if old.End == 0 && !s.Open() || old.End != 0 && !s.End.Equal(time.Unix(old.End, 0)) {
				t.Errorf("session %d end %v, from %d", i+1, s.End, old.End)
			}
			if s.EnergyWh != float64(old.KWh*1000) || s.EnergySource != history.FromMeter {
				t.Errorf("session %d: %v Wh from %q, want %d Wh from %q", i+1, s.EnergyWh, s.EnergySource, old.KWh*1000, history.FromMeter)
			}
		}
	}
	check(h, 0)
	// Finished sessions of schema 1 count toward the new lifetime totals.
	wantLT := map[string]float64{}
	for _, old := range fx.Sessions {
		if old.End != 0 {
			wantLT["charger/"+strings.ToUpper(old.Charger)] += float64(old.KWh * 1000)
			if old.VIN != "" {
				wantLT["car/"+old.VIN] += float64(old.KWh * 1000)
			}
		}
	}
	if lt, err := h.Lifetime(); err != nil || !maps.Equal(lt, wantLT) {
		t.Errorf("lifetime %v, %v; want %v", lt, err, wantLT)
	}
	if open, err := h.OpenSessions(); err != nil || len(open) != 1 || open[0].ID != 3 {
		t.Errorf("open sessions %+v, %v; want the third", open, err)
	}
	// A new session gets an ID past the old ones.
	s, err := h.StartSession(history.Session{Charger: 0x1839, Start: time.Now()})
	if err != nil || s.ID != uint64(len(fx.Sessions)+1) {
		t.Errorf("new session ID %d, %v; want %d", s.ID, err, len(fx.Sessions)+1)
	}
	// The history's own buckets are there.
	if err := h.AddSamples([]history.Sample{{At: time.Now().Truncate(time.Minute), Charger: 7000}}); err != nil {
		t.Errorf("AddSamples on the migrated file: %v", err)
	}

	// Opening again migrates nothing twice.
	st.Close()
	st, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	check(history.New(st), 1)
}
