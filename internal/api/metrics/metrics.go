// Package metrics exports the appliance's state to Prometheus.
//
// Handler serves /metrics; NewCollector is the Collector behind it, for
// callers that keep their own registry. Every value is read from the
// api.Backend when Prometheus scrapes: nothing runs between scrapes and
// nothing is cached, so a scrape never shows stale state and never waits on
// the bus. docs/metrics.md lists every metric.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twcmanager/twcmanager/internal/api"
)

// maxScrapes bounds concurrent scrapes: the Go and process collectors are
// not free on a Raspberry Pi, and two Prometheus servers are plenty.
const maxScrapes = 4

// Handler serves /metrics: the appliance's metrics plus the standard Go and
// process metrics. Each call builds its own registry, not the global one, so
// the web and the compat address can both mount a Handler.
func Handler(b api.Backend) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(b),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// One bad series must not hide the rest; the failure is counted
		// in promhttp_metric_handler_errors_total.
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
		MaxRequestsInFlight: maxScrapes,
	}))
}
