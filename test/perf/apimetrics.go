package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// Metric families the harness reads.
const (
	apiRequestsMetric      = "apiserver_request_total"
	reconcileTotalMetric   = "controller_runtime_reconcile_total"
	reconcileErrorsMetric  = "controller_runtime_reconcile_errors_total"
	restClientRequestsMetr = "rest_client_requests_total"
	// apiRequestSecondsMetric is the _sum series of the API server's request
	// latency histogram: the time it spent serving each kind of request.
	apiRequestSecondsMetric = "apiserver_request_duration_seconds_sum"
)

// writeVerbs are the apiserver_request_total verbs that change state: the
// API server reports HTTP methods (POST, PUT, ...), older ones reported
// CREATE, UPDATE, ...; both are accepted.
var writeVerbs = map[string]bool{
	"POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"CREATE": true, "UPDATE": true, "APPLY": true, "DELETECOLLECTION": true,
}

// writeMethods are the HTTP methods that change state (client-side counts).
var writeMethods = map[string]bool{
	http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
}

// sample is one series of a counter: its labels and value.
type sample struct {
	Labels map[string]string
	Value  float64
}

// metrics are the counter series of a scrape, by family name.
type metrics map[string][]sample

// parseMetrics reads the Prometheus text format. It keeps counters, gauges
// and untyped series under their names, and histograms as <name>_sum and
// <name>_count.
func parseMetrics(r io.Reader) (metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	out := metrics{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			var v float64
			switch {
			case m.GetHistogram() != nil:
				h := m.GetHistogram()
				out[name+"_sum"] = append(out[name+"_sum"], sample{Labels: labels, Value: h.GetSampleSum()})
				out[name+"_count"] = append(out[name+"_count"], sample{Labels: labels, Value: float64(h.GetSampleCount())})
				continue
			case m.GetCounter() != nil:
				v = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				v = m.GetGauge().GetValue()
			case m.GetUntyped() != nil:
				v = m.GetUntyped().GetValue()
			default:
				continue
			}
			out[name] = append(out[name], sample{Labels: labels, Value: v})
		}
	}
	return out, nil
}

// seriesKey identifies a series by its labels, in name order.
func seriesKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, labels[k])
	}
	return b.String()
}

// diff returns family's series of after minus those of before; a series
// missing before counts from zero, series that did not grow are left out.
func diff(before, after metrics, family string) []sample {
	old := map[string]float64{}
	for _, s := range before[family] {
		old[seriesKey(s.Labels)] = s.Value
	}
	var out []sample
	for _, s := range after[family] {
		if d := s.Value - old[seriesKey(s.Labels)]; d > 0 {
			out = append(out, sample{Labels: s.Labels, Value: d})
		}
	}
	return out
}

// sumBy adds samples up by the values of the given labels joined with "/"
// (empty values are left out of the key) and keeps those keep accepts.
func sumBy(samples []sample, keep func(sample) bool, labels ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if keep != nil && !keep(s) {
			continue
		}
		var parts []string
		for _, l := range labels {
			if v := s.Labels[l]; v != "" {
				parts = append(parts, v)
			}
		}
		out[strings.Join(parts, "/")] += s.Value
	}
	return out
}

// total adds samples up.
func total(samples []sample, keep func(sample) bool) float64 {
	var t float64
	for _, s := range samples {
		if keep == nil || keep(s) {
			t += s.Value
		}
	}
	return t
}

func isWrite(s sample) bool    { return writeVerbs[s.Labels["verb"]] }
func isConflict(s sample) bool { return s.Labels["code"] == "409" }

// isWriteMethod selects client-go's rest_client_requests_total writes.
func isWriteMethod(s sample) bool { return writeMethods[s.Labels["method"]] }

// scrapeAPIServer reads the hub API server's /metrics as an admin.
func scrapeAPIServer(ctx context.Context, cs kubernetes.Interface) (metrics, error) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's /metrics: %w", err)
	}
	return parseMetrics(strings.NewReader(string(raw)))
}

// scrapeHTTP reads the metrics a process serves at addr.
func scrapeHTTP(ctx context.Context, addr string) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading %s/metrics: %w", addr, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading %s/metrics: %s", addr, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// writeCounter counts the writes a client of the harness sends, so that the
// API server's totals can be split by writer.
type writeCounter struct {
	writes atomic.Int64
}

func newWriteCounter() *writeCounter { return &writeCounter{} }

// wrap is a rest.Config WrapTransport that counts into w.
func (w *writeCounter) wrap(next http.RoundTripper) http.RoundTripper {
	return countingTransport{counter: w, next: next}
}

// snapshot returns the writes so far.
func (w *writeCounter) snapshot() int64 { return w.writes.Load() }

// countingTransport counts writes into counter and passes requests on.
type countingTransport struct {
	counter *writeCounter
	next    http.RoundTripper
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if writeMethods[req.Method] {
		t.counter.writes.Add(1)
	}
	return t.next.RoundTrip(req)
}

// notLongRunning drops watches and connections, whose "latency" is how long
// they stayed open, not work the API server did.
func notLongRunning(s sample) bool {
	v := s.Labels["verb"]
	return v != "WATCH" && v != "WATCHLIST" && v != "CONNECT"
}
