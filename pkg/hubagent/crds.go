package hubagent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
)

// memberOnlyKinds live on member clusters, not on the hub.
var memberOnlyKinds = []string{placementv1beta1.AppliedWorkKind}

// RequiredKinds returns the Flotilla kinds the hub agent needs the API server
// to serve: every root kind registered in s for both Flotilla group-versions,
// except the member-side ones. A root kind is one registered with its List.
func RequiredKinds(s *runtime.Scheme) []schema.GroupVersionKind {
	var kinds []schema.GroupVersionKind
	for _, gv := range []schema.GroupVersion{placementv1beta1.GroupVersion, clusterv1beta1.GroupVersion} {
		known := s.KnownTypes(gv)
		for kind := range known {
			if _, hasList := known[kind+"List"]; !hasList || slices.Contains(memberOnlyKinds, kind) {
				continue
			}
			kinds = append(kinds, gv.WithKind(kind))
		}
	}
	slices.SortFunc(kinds, func(a, b schema.GroupVersionKind) int {
		return strings.Compare(a.String(), b.String())
	})
	return kinds
}

// MissingCRDsError lists the CRDs the API server does not serve.
type MissingCRDsError struct {
	// CRDs are CRD names such as clusterresourceplacements.placement.kubernetes-fleet.io.
	CRDs []string
}

func (e *MissingCRDsError) Error() string {
	return fmt.Sprintf("the API server does not serve %d required CRD(s): %s; install them with "+
		"'kubectl apply -f config/crd/bases' (or the hub-agent Helm chart) and start the hub agent again",
		len(e.CRDs), strings.Join(e.CRDs, ", "))
}

// CheckCRDs asks the API server, through discovery, whether it serves every
// kind in required. It returns a *MissingCRDsError naming the CRDs that are
// missing, or another error if discovery itself failed.
func CheckCRDs(ctx context.Context, dc discovery.ServerResourcesInterfaceWithContext, required []schema.GroupVersionKind) error {
	served := map[schema.GroupVersion]map[string]bool{}
	var missing []string
	for _, gvk := range required {
		gv := gvk.GroupVersion()
		kinds, ok := served[gv]
		if !ok {
			list, err := dc.ServerResourcesForGroupVersionWithContext(ctx, gv.String())
			switch {
			case apierrors.IsNotFound(err):
				kinds = map[string]bool{}
			case err != nil:
				return fmt.Errorf("discovering the resources of %s: %w", gv, err)
			default:
				kinds = make(map[string]bool, len(list.APIResources))
				for _, r := range list.APIResources {
					if !strings.Contains(r.Name, "/") { // skip subresources such as /status
						kinds[r.Kind] = true
					}
				}
			}
			served[gv] = kinds
		}
		if !kinds[gvk.Kind] {
			plural, _ := meta.UnsafeGuessKindToResource(gvk)
			missing = append(missing, plural.Resource+"."+gvk.Group)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return &MissingCRDsError{CRDs: missing}
	}
	return nil
}

// IsMissingCRDs reports whether err says required CRDs are missing.
func IsMissingCRDs(err error) bool {
	var m *MissingCRDsError
	return errors.As(err, &m)
}
