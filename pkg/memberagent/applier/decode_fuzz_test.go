package applier

import (
	"testing"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// FuzzDecodeManifests feeds arbitrary bytes to the member agent as a Work's
// manifests: decoding never panics, every manifest gets an outcome under its
// ordinal, and a manifest that decodes is either mapped to a resource or
// carries a failure that says why not.
func FuzzDecodeManifests(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"app"},"data":{"k":"v"}}`,
		`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"app","namespace":"ignored"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"cm-"}}`,
		`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}}`,
		`{"kind":"ConfigMap"}`,
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":["not","a","string"]}}`,
		`[]`, `null`, `{`, ``,
	} {
		f.Add([]byte(seed), []byte(seed))
	}
	mapper := testMapper()
	f.Fuzz(func(t *testing.T, first, second []byte) {
		work := &placementv1beta1.Work{Spec: placementv1beta1.WorkSpec{Workload: placementv1beta1.WorkloadTemplate{
			Manifests: []placementv1beta1.Manifest{raw(string(first)), raw(string(second))},
		}}}
		got := decodeManifests(work, mapper)
		if len(got) != 2 {
			t.Fatalf("%d outcomes for 2 manifests", len(got))
		}
		for i, m := range got {
			if m.id.Ordinal != i {
				t.Errorf("manifest %d has ordinal %d", i, m.id.Ordinal)
			}
			if m.failure == nil && (m.obj == nil || m.gvr.Resource == "" || m.hash == "") {
				t.Errorf("manifest %d has neither a failure nor a mapped, hashed object: %+v", i, m)
			}
		}
	})
}
