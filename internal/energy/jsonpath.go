package energy

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Path is a parsed JSON path: dotted keys and [n] indexes, e.g.
// Body.Data.Site.P_PV or meters[0].power. A leading "$." is allowed.
type Path []step

type step struct {
	key   string
	index int // -1 for a key step
}

// ParsePath parses s.
func ParsePath(s string) (Path, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "$"), ".")
	if s == "" {
		return nil, fmt.Errorf("empty path")
	}
	var p Path
	for _, part := range strings.Split(s, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" && rest == "" {
			return nil, fmt.Errorf("empty key")
		}
		if key != "" {
			p = append(p, step{key: key, index: -1})
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if !ok || err != nil || n < 0 {
				return nil, fmt.Errorf("bad index [%s", rest)
			}
			p = append(p, step{index: n})
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("unexpected %q after ]", after)
			}
			rest = after[1:]
		}
	}
	return p, nil
}

// String gives the path back in its written form.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// Number finds the path in a decoded JSON document (from json.Unmarshal into
// any, with UseNumber or not) and returns it as a number. Strings holding a
// number are accepted; everything else is an error naming the path.
func (p Path) Number(doc any) (float64, error) {
	v := doc
	for i, s := range p {
		switch {
		case s.index >= 0:
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return 0, fmt.Errorf("field %s missing", p[:i+1])
			}
			v = arr[s.index]
		default:
			obj, ok := v.(map[string]any)
			if !ok {
				return 0, fmt.Errorf("field %s missing", p[:i+1])
			}
			if v, ok = obj[s.key]; !ok {
				return 0, fmt.Errorf("field %s missing", p[:i+1])
			}
		}
	}
	return toNumber(v, p.String())
}

func toNumber(v any, name string) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, fmt.Errorf("field %s is %q, not a number", name, x)
		}
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, fmt.Errorf("field %s is %q, not a number", name, x)
		}
	case nil:
		return 0, fmt.Errorf("field %s is null", name)
	default:
		return 0, fmt.Errorf("field %s is %T, not a number", name, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("field %s is not a finite number", name)
	}
	return f, nil
}
