package apis

import (
	"fmt"
	"strings"
	"sync/atomic"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

var nameCounter atomic.Int64

// fromYAML parses a manifest as a user would write it. An object without a
// name gets a unique one, so table entries never collide.
func fromYAML(manifest string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{}
	ExpectWithOffset(1, yaml.Unmarshal([]byte(manifest), &obj.Object)).To(Succeed())
	if obj.GetName() == "" {
		obj.SetName(fmt.Sprintf("%s-%d", strings.ToLower(obj.GetKind()), nameCounter.Add(1)))
	}
	return obj
}

// contractCase is one row of a validation table: create obj, then apply each
// merge patch in turn; the last step must fail with wantErr in its message,
// or every step must succeed when wantErr is empty. The object is named name
// when set (for the cases that test names), and gets a unique name otherwise.
type contractCase struct {
	obj     string
	patches []string
	wantErr string
	name    string
}

func (c contractCase) run() {
	obj := fromYAML(c.obj)
	if c.name != "" {
		obj.SetName(c.name)
	} else {
		obj.SetName(fmt.Sprintf("%s-%d", strings.ToLower(obj.GetKind()), nameCounter.Add(1)))
	}
	steps := len(c.patches) + 1
	for step := range steps {
		var err error
		if step == 0 {
			err = k8sClient.Create(ctx, obj)
		} else {
			err = k8sClient.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(c.patches[step-1])))
		}
		last := step == steps-1
		if !last || c.wantErr == "" {
			ExpectWithOffset(1, err).NotTo(HaveOccurred(), "step %d of %d", step+1, steps)
			continue
		}
		ExpectWithOffset(1, err).To(HaveOccurred(), "step %d of %d should be rejected", step+1, steps)
		ExpectWithOffset(1, err.Error()).To(ContainSubstring(c.wantErr))
	}
}
