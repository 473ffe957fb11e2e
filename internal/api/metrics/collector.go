package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twcmanager/twcmanager/internal/api"
	"github.com/twcmanager/twcmanager/internal/version"
)

// namespace prefixes every metric of ours.
const namespace = "twcmanager"

// Collector turns the Backend's state into metrics at scrape time. It keeps
// no state between scrapes, so concurrent scrapes are safe.
type Collector struct {
	b       api.Backend
	all     descs
	charger chargerMetrics
	bus     busMetrics
	energy  energyMetrics
	policy  policyMetrics
	build   *prometheus.Desc
	version string
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector that reads b.
func NewCollector(b api.Backend) *Collector {
	c := &Collector{b: b, version: version.String()}
	c.charger = newChargerMetrics(&c.all)
	c.bus = newBusMetrics(&c.all)
	c.energy = newEnergyMetrics(&c.all)
	c.policy = newPolicyMetrics(&c.all)
	c.build = c.all.add("build_info", "Always 1; the version label is the running build.", "version")
	return c
}

// Describe sends every descriptor the Collector can produce, so that the
// registry can check names and labels once, at registration.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.all {
		ch <- d
	}
}

// Collect reads the Backend once and sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	now := c.b.Now()
	snap := c.b.Snapshot()
	c.charger.collect(ch, snap, now)
	c.bus.collect(ch, snap)
	c.energy.collect(ch, c.b.Energy(), now)
	c.policy.collect(ch, c.b, now)
	gauge(ch, c.build, 1, c.version)
}

// descs collects the descriptors as they are made, so that Describe cannot
// forget one.
type descs []*prometheus.Desc

func (d *descs) add(name, help string, labels ...string) *prometheus.Desc {
	desc := prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
	*d = append(*d, desc)
	return desc
}

// gauge and counter send one sample. A bad label value becomes an invalid
// metric, which the handler reports, rather than a panic: Collect runs on
// the registry's goroutines, where a panic would stop the appliance.
func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	send(ch, d, prometheus.GaugeValue, v, labels)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	send(ch, d, prometheus.CounterValue, v, labels)
}

func send(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	ch <- m
}

// oneHot sends 1 for the value that is current and 0 for the others, so that
// a query can select a value without knowing which ones exist. A current
// value not among values is sent too; an empty one is not.
func oneHot(ch chan<- prometheus.Metric, d *prometheus.Desc, values []string, current string, labels ...string) {
	found := false
	for _, v := range values {
		on := v == current
		found = found || on
		gauge(ch, d, b2f(on), append(labels, v)...)
	}
	if !found && current != "" {
		gauge(ch, d, 1, append(labels, current)...)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// text makes a string from the wire safe as a label value: the text format
// needs valid UTF-8.
func text(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
