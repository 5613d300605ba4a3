package applier

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// ManifestRefusedReason is the reason of the Applied (or, under ReportDiff,
// DiffReported) condition of a manifest the agent refuses to touch: an
// object a placement never propagates (pkg/util/resource says which, and
// why), such as anything in a kube-* or fleet-* namespace, fleet's own kinds
// or a service account token. The hub never puts one in a Work; the agent
// checks again so that a Work written by other means cannot reach the
// member's control plane or fleet's own namespaces. KubeFleet's work applier
// has no such check, hence no reason for it.
const ManifestRefusedReason = "ManifestRefused"

// refusedGroup says why no object of the API group is ever applied, or "".
// It is checked before the kind is mapped, so that a fleet kind the member
// does not serve is refused rather than retried.
func refusedGroup(group string) string {
	return resource.SkipResource(schema.GroupResource{Group: group})
}

// refusedObject says why obj, served as gr on the member, is never applied,
// or "". obj is the decoded manifest: its namespace is final and its
// server-owned metadata is gone.
func refusedObject(gr schema.GroupResource, obj *unstructured.Unstructured) string {
	if why := resource.SkipResource(gr); why != "" {
		return why
	}
	return resource.SkipObject(gr, obj)
}

// refused reports whether the agent refuses to touch the manifest's object.
func (m *manifest) refused() bool {
	return m.failure != nil && m.failure.reason == ManifestRefusedReason
}

// refusedMessage is the condition message of a refused manifest.
func refusedMessage(why string) string {
	return "The manifest is refused: fleet never places this object on a member cluster (" + why + ")"
}
