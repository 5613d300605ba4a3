package fieldguard

import (
	"reflect"
	"testing"
)

type pair struct {
	A string
	B int
}

func TestCovers(t *testing.T) {
	tests := map[string]struct {
		fields   []string
		wantFail bool
	}{
		"the fields in order":     {fields: []string{"A", "B"}},
		"a field missing":         {fields: []string{"A"}, wantFail: true},
		"a field too many":        {fields: []string{"A", "B", "C"}, wantFail: true},
		"a field by another name": {fields: []string{"A", "X"}, wantFail: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{TB: t}
			Covers(rec, map[reflect.Type][]string{reflect.TypeFor[pair](): tc.fields})
			if rec.failed != tc.wantFail {
				t.Errorf("Covers failed the test: %v, want %v", rec.failed, tc.wantFail)
			}
		})
	}
}

// recorder records a failure instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
