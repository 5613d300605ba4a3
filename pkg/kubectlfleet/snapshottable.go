package kubectlfleet

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/printers"

	placementv1beta1 "github.com/flotilla-dev/flotilla/apis/placement/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/util/resource"
)

// shortHashLength is how many hex digits of a group's resource hash the
// table shows, as git shows commits.
const shortHashLength = 12

// renderSnapshotTable lists a placement's resource snapshot groups, oldest
// first.
func renderSnapshotTable(w io.Writer, groups []*resource.SnapshotGroup, now time.Time) error {
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "INDEX\tLATEST\tSUB-SNAPSHOTS\tRESOURCES\tHASH\tAGE")
	for _, g := range groups {
		first := g.Snapshots()[0]
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n",
			g.Index,
			orDash(first.Labels[placementv1beta1.IsLatestSnapshotLabel]),
			subSnapshots(g),
			len(g.Resources()),
			shortHash(g),
			duration.HumanDuration(now.Sub(first.CreationTimestamp.Time)))
	}
	return tw.Flush()
}

// subSnapshots counts a group's sub-snapshots; "found/expected" when some
// are missing (or not written yet).
func subSnapshots(g *resource.SnapshotGroup) string {
	n := strconv.Itoa(len(g.Subs))
	if want, ok := g.Expected(); ok && want-1 != len(g.Subs) {
		return n + "/" + strconv.Itoa(want-1)
	}
	return n
}

// shortHash shortens the group's resource hash; KubeFleet writes it with a
// "sha256:" prefix, Flotilla as bare hex.
func shortHash(g *resource.SnapshotGroup) string {
	if g.Master == nil {
		return "-"
	}
	h := strings.TrimPrefix(g.Master.Annotations[placementv1beta1.ResourceGroupHashAnnotation], "sha256:")
	if len(h) > shortHashLength {
		h = h[:shortHashLength]
	}
	return orDash(h)
}
