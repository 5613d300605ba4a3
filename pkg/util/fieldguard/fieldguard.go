// Package fieldguard is for tests of hand-written code that must cover every
// field of an API type (a comparison, a sharing key): pinning the fields it
// covers makes a field added to the API fail the test, not be ignored.
package fieldguard

import (
	"reflect"
	"slices"
	"testing"
)

// Covers fails t for each struct type whose fields, in order, are not the
// names given for it.
func Covers(t testing.TB, covered map[reflect.Type][]string) {
	t.Helper()
	for typ, want := range covered {
		got := make([]string, typ.NumField())
		for i := range got {
			got[i] = typ.Field(i).Name
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s has the fields %v; the code under test covers %v", typ, got, want)
		}
	}
}
