package metrics_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/bus"
	"github.com/twcmanager/twcmanager/internal/policy"
)

// families is one parsed scrape, by metric name.
type families map[string]*dto.MetricFamily

// scrape fetches url in the text format and parses it with the strict
// (legacy) name validation, so a name Prometheus would have to escape fails.
func scrape(t *testing.T, url string) families {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// series returns the samples of name whose labels include want (name,
// value pairs), and checks the family's type.
func (f families) series(t *testing.T, name string, typ dto.MetricType, want ...string) []*dto.Metric {
	t.Helper()
	fam, ok := f[name]
	if !ok {
		t.Fatalf("no metric family %s", name)
	}
	if fam.GetType() != typ {
		t.Fatalf("%s is a %v, want a %v", name, fam.GetType(), typ)
	}
	var out []*dto.Metric
	for _, m := range fam.Metric {
		if hasLabels(m, want...) {
			out = append(out, m)
		}
	}
	return out
}

func hasLabels(m *dto.Metric, want ...string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		if label(m, want[i]) != want[i+1] {
			return false
		}
	}
	return true
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	return m.Untyped.GetValue()
}

// one returns the single sample of name with the labels want.
func (f families) one(t *testing.T, name string, typ dto.MetricType, want ...string) float64 {
	t.Helper()
	s := f.series(t, name, typ, want...)
	if len(s) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, want, len(s))
	}
	return value(s[0])
}

// sum adds the samples of name with the labels want.
func (f families) sum(t *testing.T, name string, typ dto.MetricType, want ...string) float64 {
	t.Helper()
	var s float64
	for _, m := range f.series(t, name, typ, want...) {
		s += value(m)
	}
	return s
}

// absent checks that no family name exists.
func (f families) absent(t *testing.T, name string) {
	t.Helper()
	if _, ok := f[name]; ok {
		t.Errorf("%s present, want absent", name)
	}
}

// stableScrape scrapes while the bus snapshot and the latest decision stay
// the same, so that the scrape can be compared with them exactly: the bus
// publishes a new snapshot with every heartbeat.
func stableScrape(t *testing.T, b api.Backend, url string) (families, bus.Snapshot, policy.Decision) {
	t.Helper()
	for range 50 {
		snap, d := b.Snapshot(), b.Decisions(1)
		fams := scrape(t, url)
		if reflect.DeepEqual(snap, b.Snapshot()) && reflect.DeepEqual(d, b.Decisions(1)) {
			return fams, snap, d[0]
		}
	}
	t.Fatal("the bus state changed during each of 50 scrapes")
	return nil, bus.Snapshot{}, policy.Decision{}
}

const (
	gauge   = dto.MetricType_GAUGE
	counter = dto.MetricType_COUNTER
)
