package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/twcmanager/twcmanager/config"
	"github.com/twcmanager/twcmanager/internal/secret"
)

// FileName is the database's name inside the data directory.
const FileName = "twcmanager.db"

// Schema is the layout this version writes.
const Schema = 2

// Bucket names.
var (
	bMeta     = []byte("meta")
	bSettings = []byte("settings")
	bSecrets  = []byte("secrets")
	// Buckets of the history package.
	Sessions = []byte("sessions")
	Samples  = []byte("samples")
	Quarters = []byte("quarters")
	Lifetime = []byte("lifetime")
)

var (
	kApp     = []byte("app")
	kSchema  = []byte("schema")
	kCurrent = []byte("current")
	appName  = []byte("twcmanager")
)

// ErrForeign means the file at the data path is not a twcmanager database.
var ErrForeign = errors.New("store: not a twcmanager database")

// ErrDiskFull means a write failed for lack of space.
var ErrDiskFull = errors.New("store: the disk is full")

// Store is the open database.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (or creates) the database in dir. It never overwrites a file it
// did not write.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	existing, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	if existing {
		// Look before writing: opened read-write, bbolt writes to a file at
		// once (it saves a missing freelist), so a file is first examined
		// read-only.
		db, err := openBolt(path, true)
		if err != nil {
			return nil, err
		}
		probe := &Store{db: db, path: path}
		err = db.View(func(tx *bolt.Tx) error { _, err := probe.identify(tx); return err })
		db.Close()
		if err != nil {
			return nil, err
		}
	}
	db, err := openBolt(path, false)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openBolt(path string, readOnly bool) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: readOnly})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("store: %s is in use by another twcmanager; stop it first", path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, refuse(path, fmt.Errorf("%w: %w", ErrForeign, err))
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", path, diskErr(err))
	}
	return db, nil
}

// boltMagic starts every bbolt meta page.
const boltMagic = 0xED0CDAED

// checkFile refuses a non-empty file that does not start like a bbolt file,
// or is shorter than its own meta page says, before bbolt touches it. It
// reports whether a non-empty file is there.
func checkFile(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	var head [32]byte
	n, err := io.ReadFull(f, head[:])
	if n == 0 {
		return false, nil // empty: nothing to lose
	}
	// A bbolt file begins with a meta page: a 16-byte page header, then the
	// magic number.
	if err != nil || binary.LittleEndian.Uint32(head[16:20]) != boltMagic {
		return true, refuse(path, ErrForeign)
	}
	// bbolt trusts the newest valid meta page and reads pages up to its
	// high-water mark: a file cut short (a copy that did not finish, a
	// damaged card) makes it panic or fault instead of failing, so refuse it.
	info, err := f.Stat()
	if err != nil {
		return true, fmt.Errorf("store: open %s: %w", path, err)
	}
	if need := highWater(f, info.Size()); uint64(info.Size()) < need {
		return true, refuse(path, fmt.Errorf("%w: it has %d bytes but its pages need %d: it was cut short", ErrForeign, info.Size(), need))
	}
	return true, nil
}

// highWater is the size the newest valid meta page of a bbolt file gives it
// (its page count times its page size), or 0 when no meta page is valid, in
// which case bbolt refuses the file itself.
func highWater(f *os.File, size int64) uint64 {
	var need, txid uint64
	found := false
	meta := func(off int64) (pageSize int64, ok bool) {
		var b [16 + 64]byte // page header, meta
		if _, err := f.ReadAt(b[:], off); err != nil {
			return 0, false
		}
		m, le := b[16:], binary.LittleEndian
		h := fnv.New64a()
		h.Write(m[:56])
		if le.Uint32(m) != boltMagic || le.Uint32(m[4:]) != 2 || h.Sum64() != le.Uint64(m[56:]) {
			return 0, false
		}
		ps := le.Uint32(m[8:])
		if t := le.Uint64(m[48:]); !found || t > txid {
			need, txid, found = le.Uint64(m[40:])*uint64(ps), t, true
		}
		return int64(ps), true
	}
	if ps, ok := meta(0); ok {
		meta(ps)
	} else {
		// As bbolt does: without the first meta page, look for the second
		// at each page size it could have.
		for ps := int64(1024); ps <= 1024<<14 && ps < size; ps <<= 1 {
			if _, ok := meta(ps); ok {
				break
			}
		}
	}
	return need
}

func refuse(path string, cause error) error {
	return fmt.Errorf("%w: the file %s is not one twcmanager can use and has not been changed; "+
		"move it aside (for example: mv %s %s.old) and start again to begin with a new database", cause, path, path, path)
}

// diskErr marks a write that failed for lack of space.
func diskErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}

// Path is where the database lives.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction; a full disk is ErrDiskFull.
func (s *Store) Update(fn func(*bolt.Tx) error) error { return diskErr(s.db.Update(fn)) }

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*bolt.Tx) error) error { return s.db.View(fn) }

// Settings returns the saved settings, and false when none were saved yet.
func (s *Store) Settings() (config.Settings, bool, error) {
	var out config.Settings
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bSettings).Get(kCurrent)
		if v == nil {
			return nil
		}
		found = true
		return unmarshalSettings(v, &out)
	})
	if err != nil {
		return config.Settings{}, false, fmt.Errorf("store: read settings: %w", err)
	}
	return out, found, nil
}

// SaveSettings validates and saves s; invalid settings are not saved. The
// settings are committed when it returns.
func (s *Store) SaveSettings(st config.Settings) error {
	if err := st.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: encode settings: %w", err)
	}
	return s.Update(func(tx *bolt.Tx) error { return tx.Bucket(bSettings).Put(kCurrent, b) })
}

// Secret returns the secret called name (unset if there is none).
func (s *Store) Secret(name string) (secret.String, error) {
	var v string
	err := s.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bSecrets).Get([]byte(name)))
		return nil
	})
	return secret.New(v), err
}

// SetSecret stores a secret; an unset value deletes it. Committed on return.
func (s *Store) SetSecret(name string, v secret.String) error {
	return s.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSecrets)
		if !v.IsSet() {
			return b.Delete([]byte(name))
		}
		return b.Put([]byte(name), []byte(v.Reveal()))
	})
}

// SecretNames lists the stored secrets' names, never their values.
func (s *Store) SecretNames() ([]string, error) {
	var names []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSecrets).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// Schema returns the file's schema version.
func (s *Store) schema(tx *bolt.Tx) int {
	m := tx.Bucket(bMeta)
	if m == nil {
		return 0
	}
	v := m.Get(kSchema)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func (s *Store) isOurs(tx *bolt.Tx) bool {
	m := tx.Bucket(bMeta)
	return m != nil && bytes.Equal(m.Get(kApp), appName)
}

// Wipe empties every bucket but the file's own identity, in one
// transaction: settings, secrets, sessions, history. It is the factory reset.
func (s *Store) Wipe() error {
	return s.Update(func(tx *bolt.Tx) error {
		var names [][]byte
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !bytes.Equal(name, bMeta) {
				names = append(names, append([]byte(nil), name...))
			}
			return nil
		})
		for _, n := range names {
			if err := tx.DeleteBucket(n); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(n); err != nil {
				return err
			}
		}
		return nil
	})
}

// unmarshalSettings decodes stored settings. A section added in a later
// version (the top-level key is missing) takes its defaults, so settings
// saved before it existed still load and validate; inside a section that
// was saved, nothing is filled in, because a value left out there means zero
// (a circuit given by its limit has no breaker).
func unmarshalSettings(v []byte, out *config.Settings) error {
	var stored map[string]json.RawMessage
	if err := json.Unmarshal(v, &stored); err != nil {
		return err
	}
	defJSON, err := json.Marshal(config.Defaults())
	if err != nil {
		return err
	}
	var defs map[string]json.RawMessage
	if err := json.Unmarshal(defJSON, &defs); err != nil {
		return err
	}
	for k, d := range defs {
		if _, ok := stored[k]; !ok {
			stored[k] = d
		}
	}
	merged, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	return json.Unmarshal(merged, out)
}

// Vehicle holds the car connection's records (this month's billed calls).
var Vehicle = []byte("vehicle")

// GetJSON decodes the value at key in bucket into v; false when there is
// none. A bucket added after the file was made may not exist yet.
func (s *Store) GetJSON(bucket []byte, key string, v any) (bool, error) {
	var raw []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			raw = append([]byte(nil), b.Get([]byte(key))...)
		}
		return nil
	})
	if err != nil || raw == nil {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("store: %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

// PutJSON stores v at key in bucket, making the bucket when it is new.
// Committed on return.
func (s *Store) PutJSON(bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: %s/%s: %w", bucket, key, err)
	}
	return s.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), raw)
	})
}
