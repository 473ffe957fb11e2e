package energy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twcmanager/twcmanager/internal/secret"
)

// Source reads a device once. Read must honour ctx's deadline and return an
// error that names the source and the fault.
type Source interface {
	Read(ctx context.Context) (Reading, error)
}

// Kind is one type of source the user can pick.
type Kind struct {
	Name  string // stable identifier, e.g. "fronius"
	Label string // for people, e.g. "Fronius Solar API"
	// Roles are the roles this kind can fill.
	Roles []Role
	// Interval is how often to poll it by default.
	Interval time.Duration
	// Timeout bounds one read (default 5 s); cloud APIs need longer.
	Timeout time.Duration
	// Params is the zero value of the kind's parameter struct; its fields of
	// type secret.String are the kind's secrets (SecretFields).
	Params any
	// New decodes and validates parameters and returns a ready source.
	// Errors for bad parameters are config.Errors naming each field.
	New func(params json.RawMessage) (Source, error)
}

var (
	kindsMu sync.Mutex // guards kinds
	kinds   = map[string]Kind{}
)

// Register adds a kind; vendor packages call it from init. A duplicate name
// is a programming error.
func Register(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[k.Name]; dup {
		panic("energy: source kind registered twice: " + k.Name)
	}
	if k.Interval == 0 {
		k.Interval = 10 * time.Second
	}
	kinds[k.Name] = k
}

// Kinds returns the registered kinds sorted by label.
func Kinds() []Kind {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

// Lookup returns the kind called name, or an error listing the known ones.
func Lookup(name string) (Kind, error) {
	kindsMu.Lock()
	k, ok := kinds[name]
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	kindsMu.Unlock()
	if !ok {
		slices.Sort(names)
		return Kind{}, fmt.Errorf("energy: unknown source type %q; known types: %s", name, strings.Join(names, ", "))
	}
	return k, nil
}

// Build makes a source of kind name from its parameters.
func Build(name string, params json.RawMessage) (Source, Kind, error) {
	k, err := Lookup(name)
	if err != nil {
		return nil, Kind{}, err
	}
	s, err := k.New(params)
	return s, k, err
}

// Test builds a source and reads it once, as the setup wizard's "test"
// button does: the decoded reading, or an error that says what is wrong.
func Test(ctx context.Context, name string, params json.RawMessage) (Reading, error) {
	s, _, err := Build(name, params)
	if err != nil {
		return Reading{}, err
	}
	// A device may serve one client at a time (SolarEdge's Modbus does):
	// the wizard's test must not hold the connection after it is done.
	defer Close(s)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.Read(ctx)
}

// Close closes a source that holds a connection; others need nothing.
func Close(s Source) {
	if c, ok := s.(io.Closer); ok {
		_ = c.Close() // nothing left to do with a source being dropped
	}
}

// DecodeParams decodes params into a T strictly: unknown fields are an
// error naming the field, so a typo is not silently ignored.
func DecodeParams[T any](kind string, params json.RawMessage) (T, error) {
	var v T
	if len(bytes.TrimSpace(params)) == 0 {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return v, fmt.Errorf("%s: setting %q must be %s", kind, ute.Field, ute.Type)
		}
		return v, fmt.Errorf("%s: settings: %w", kind, err)
	}
	return v, nil
}

// SecretFields lists the JSON names of a kind's secret parameters: those
// the store keeps apart and no page or API returns.
func SecretFields(k Kind) []string {
	t := reflect.TypeOf(k.Params)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	secretType := reflect.TypeFor[secret.String]()
	for f := range t.Fields() {
		if f.Type != secretType {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// RegisterKind registers k with parameters of type P: the parameter type
// (and so the kind's secrets) and the strict decoding both come from P, and
// build makes the source from the decoded, not yet validated, parameters.
func RegisterKind[P any](k Kind, build func(P) (Source, error)) {
	var zero P
	k.Params = zero
	k.New = func(raw json.RawMessage) (Source, error) {
		p, err := DecodeParams[P](k.Name, raw)
		if err != nil {
			return nil, err
		}
		return build(p)
	}
	Register(k)
}
