package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

func TestPercentile(t *testing.T) {
	tests := map[string]struct {
		values []float64
		p      float64
		want   float64
	}{
		"no values give zero":                          {values: nil, p: 90, want: 0},
		"one value is every percentile":                {values: []float64{3}, p: 1, want: 3},
		"the median of ten is the fifth":               {values: []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, p: 50, want: 5},
		"the 90th of ten is the ninth":                 {values: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, p: 90, want: 9},
		"the 99th of ten is the largest":               {values: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, p: 99, want: 10},
		"the 100th is the maximum":                     {values: []float64{4, 1, 7}, p: 100, want: 7},
		"a tiny percentile is the minimum":             {values: []float64{4, 1, 7}, p: 0.1, want: 1},
		"the 90th of a hundred is the ninetieth value": {values: seq(100), p: 90, want: 90},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := percentile(tc.values, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.values, tc.p, got, tc.want)
			}
		})
	}
}

func TestPercentileLeavesInputUnsorted(t *testing.T) {
	values := []float64{3, 1, 2}
	percentile(values, 50)
	if diff := cmp.Diff([]float64{3, 1, 2}, values); diff != "" {
		t.Errorf("percentile reordered its input (-want,+got):\n%s", diff)
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

func TestParseSizes(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    [][2]int
		wantErr string
	}{
		"one size":                          {in: "10x10", want: [][2]int{{10, 10}}},
		"several sizes, spaces and a comma": {in: "10x10, 50x20,", want: [][2]int{{10, 10}, {50, 20}}},
		"no x is refused":                   {in: "10", wantErr: "want NxM"},
		"letters are refused":               {in: "ax10", wantErr: "want NxM"},
		"trailing junk is refused":          {in: "10x10y", wantErr: "want NxM"},
		"no placement is refused":           {in: "0x10", wantErr: "at least 1 placement"},
		"fewer clusters than stages":        {in: "10x2", wantErr: "at least 3 clusters"},
		"nothing is refused":                {in: " , ", wantErr: "no sizes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseSizes(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseSizes(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSizes(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseSizes(%q) (-want,+got):\n%s", tc.in, diff)
			}
		})
	}
}

const metricsBefore = `# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",resource="works",subresource="status",verb="PUT"} 10
apiserver_request_total{code="409",resource="works",subresource="status",verb="PUT"} 1
apiserver_request_total{code="200",resource="works",subresource="",verb="LIST"} 5
apiserver_request_total{code="201",resource="works",subresource="",verb="POST"} 3
`

const metricsAfter = `# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",resource="works",subresource="status",verb="PUT"} 25
apiserver_request_total{code="409",resource="works",subresource="status",verb="PUT"} 4
apiserver_request_total{code="200",resource="works",subresource="",verb="LIST"} 5
apiserver_request_total{code="201",resource="works",subresource="",verb="POST"} 7
apiserver_request_total{code="201",resource="clusterstagedupdateruns",subresource="",verb="POST"} 2
# HELP apiserver_request_duration_seconds Response latency.
# TYPE apiserver_request_duration_seconds histogram
apiserver_request_duration_seconds_bucket{resource="works",verb="LIST",le="1"} 3
apiserver_request_duration_seconds_bucket{resource="works",verb="LIST",le="+Inf"} 4
apiserver_request_duration_seconds_sum{resource="works",verb="LIST"} 2.5
apiserver_request_duration_seconds_count{resource="works",verb="LIST"} 4
apiserver_request_duration_seconds_bucket{resource="works",verb="WATCH",le="+Inf"} 2
apiserver_request_duration_seconds_sum{resource="works",verb="WATCH"} 600
apiserver_request_duration_seconds_count{resource="works",verb="WATCH"} 2
# HELP controller_runtime_reconcile_total Total number of reconciliations per controller
# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="updaterun",result="success"} 2
`

func TestMetricsDiff(t *testing.T) {
	before, err := parseMetrics(strings.NewReader(metricsBefore))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseMetrics(strings.NewReader(metricsAfter))
	if err != nil {
		t.Fatal(err)
	}
	requests := diff(before, after, apiRequestsMetric)

	tests := map[string]struct {
		got  any
		want any
	}{
		"requests by verb and resource leave unchanged series out": {
			got: sumBy(requests, nil, "verb", "resource", "subresource"),
			want: map[string]float64{
				"PUT/works/status": 18, "POST/works": 4, "POST/clusterstagedupdateruns": 2,
			},
		},
		"writes count every state-changing verb": {got: total(requests, isWrite), want: 24.0},
		"conflicts are the 409s":                 {got: total(requests, isConflict), want: 3.0},
		"conflicts by resource": {
			got:  sumBy(requests, isConflict, "verb", "resource", "subresource"),
			want: map[string]float64{"PUT/works/status": 3},
		},
		"a family missing before counts from zero": {
			got:  sumBy(diff(before, after, reconcileTotalMetric), nil, "controller", "result"),
			want: map[string]float64{"updaterun/success": 2},
		},
		"a histogram missing before gives its sum": {
			got:  sumBy(diff(before, after, apiRequestSecondsMetric), nil, "verb", "resource"),
			want: map[string]float64{"LIST/works": 2.5, "WATCH/works": 600},
		},
		"serving time leaves out how long watches stayed open": {
			got:  sumBy(diff(before, after, apiRequestSecondsMetric), notLongRunning, "verb", "resource"),
			want: map[string]float64{"LIST/works": 2.5},
		},
		"a family missing in both gives nothing": {
			got:  len(diff(before, after, reconcileErrorsMetric)),
			want: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.got); diff != "" {
				t.Errorf("(-want,+got):\n%s", diff)
			}
		})
	}
}

func TestParseMetricsRejectsGarbage(t *testing.T) {
	if _, err := parseMetrics(strings.NewReader("not metrics {")); err == nil {
		t.Error("parseMetrics accepted malformed text")
	}
}

func TestStages(t *testing.T) {
	tests := map[string]struct {
		clusters int
		want     [3]int
	}{
		"three clusters give one per stage": {clusters: 3, want: [3]int{1, 1, 1}},
		"ten clusters split 1, 2, 7":        {clusters: 10, want: [3]int{1, 2, 7}},
		"twenty clusters split 2, 4, 14":    {clusters: 20, want: [3]int{2, 4, 14}},
		"hundred clusters split 10, 20, 70": {clusters: 100, want: [3]int{10, 20, 70}},
		"five clusters keep a cluster in a": {clusters: 5, want: [3]int{1, 1, 3}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got [3]int
			for i := range tc.clusters {
				got[strings.Index("abc", stageOf(i, tc.clusters))]++
			}
			if got != tc.want {
				t.Errorf("stage sizes of %d clusters = %v, want %v", tc.clusters, got, tc.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	// A command with spaces and parentheses; utime 250 and stime 50 ticks.
	line := "1234 (hub (agent) x) S 99 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 0 0"
	got, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{comm: "hub (agent) x", ppid: 99, cpuSeconds: 3}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(procStat{})); diff != "" {
		t.Errorf("(-want,+got):\n%s", diff)
	}
	if _, err := parseProcStat("1234 broken"); err == nil {
		t.Error("parseProcStat accepted a line without a command")
	}
}

func TestMinWrites(t *testing.T) {
	// 10 runs of 10 clusters: 100 cluster updates x 4, plus 10 runs x (2 + 3 stages x 2).
	if got, want := minWrites(10, 10), 480; got != want {
		t.Errorf("minWrites(10, 10) = %d, want %d", got, want)
	}
}

func TestBindingCounter(t *testing.T) {
	binding := func(name, crp string) *metav1.PartialObjectMetadata {
		b := bindingMetadata()
		b.Name = name
		if crp != "" {
			b.Labels = map[string]string{placementv1beta1.PlacementTrackingLabel: crp}
		}
		return b
	}
	tests := map[string]struct {
		events func(h toolscache.ResourceEventHandler)
		want   map[string]int
	}{
		"adds count once per binding": {
			events: func(h toolscache.ResourceEventHandler) {
				h.OnAdd(binding("a-1", "a"), true)
				h.OnAdd(binding("a-2", "a"), false)
				h.OnUpdate(binding("a-1", "a"), binding("a-1", "a"))
				h.OnAdd(binding("b-1", "b"), false)
			},
			want: map[string]int{"a": 2, "b": 1},
		},
		"a relabelled binding moves": {
			events: func(h toolscache.ResourceEventHandler) {
				h.OnAdd(binding("x", "a"), false)
				h.OnUpdate(binding("x", "a"), binding("x", "b"))
			},
			want: map[string]int{"a": 0, "b": 1},
		},
		"deletes, seen or missed, uncount": {
			events: func(h toolscache.ResourceEventHandler) {
				h.OnAdd(binding("a-1", "a"), false)
				h.OnAdd(binding("a-2", "a"), false)
				h.OnDelete(binding("a-1", "a"))
				h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "a-2", Obj: binding("a-2", "a")})
				h.OnDelete(binding("never-seen", "a"))
			},
			want: map[string]int{"a": 0},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, n := newBindingCounter(), newNotifier()
			tc.events(c.handler(n))
			for crp, want := range tc.want {
				if got := c.of(crp); got != want {
					t.Errorf("bindings of %s = %d, want %d", crp, got, want)
				}
			}
			select {
			case <-n.ch:
			default:
				t.Error("the counter did not signal a change")
			}
		})
	}
}
