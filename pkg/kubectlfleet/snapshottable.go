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
)

// shortHashLength is how many hex digits of a group's resource hash the
// table shows, as git shows commits.
const shortHashLength = 12

// renderSnapshotTable lists a placement's resource snapshot groups, oldest
// first.
func renderSnapshotTable(w io.Writer, groups []*snapshotGroup, now time.Time) error {
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "INDEX\tLATEST\tSUB-SNAPSHOTS\tRESOURCES\tHASH\tAGE")
	for _, g := range groups {
		first := g.first()
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n",
			g.index,
			orDash(first.Labels[placementv1beta1.IsLatestSnapshotLabel]),
			subSnapshots(g),
			len(g.resources()),
			shortHash(g),
			duration.HumanDuration(now.Sub(first.CreationTimestamp.Time)))
	}
	return tw.Flush()
}

// subSnapshots counts a group's sub-snapshots; "found/expected" when some
// are missing (or not written yet).
func subSnapshots(g *snapshotGroup) string {
	n := strconv.Itoa(len(g.subs))
	if want, ok := g.expected(); ok && want-1 != len(g.subs) {
		return n + "/" + strconv.Itoa(want-1)
	}
	return n
}

// shortHash shortens the group's resource hash; KubeFleet writes it with a
// "sha256:" prefix, Flotilla as bare hex.
func shortHash(g *snapshotGroup) string {
	if g.master == nil {
		return "-"
	}
	h := strings.TrimPrefix(g.master.Annotations[placementv1beta1.ResourceGroupHashAnnotation], "sha256:")
	if len(h) > shortHashLength {
		h = h[:shortHashLength]
	}
	return orDash(h)
}
