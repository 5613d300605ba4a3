package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1beta1 "github.com/flotilla-dev/flotilla/apis/cluster/v1beta1"
	"github.com/flotilla-dev/flotilla/pkg/localfleet"
)

// status prints the supervisor, every fleet process and whether it is alive,
// and the hub's MemberClusters. It fails when no fleet runs or a process is
// dead.
func status(args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	dir := fs.String("dir", ".localfleet", "State directory of the fleet.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	procs, err := localfleet.ReadProcesses(abs)
	if err != nil {
		return err
	}
	sup, supAlive := runningSupervisor(abs)
	if len(procs) == 0 && !supAlive {
		fmt.Printf("No local fleet runs in %s.\n", abs)
		return exitCode(1)
	}

	healthy := true
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PROCESS\tPID\tSTATE\tLOG")
	if sup.PID != 0 {
		fmt.Fprintf(w, "supervisor\t%d\t%s\t%s\n", sup.PID, state(supAlive), sup.Log)
	}
	hubAlive := false
	for _, p := range procs {
		alive := p.Alive()
		healthy = healthy && alive
		if p.Name == "hub-apiserver" {
			hubAlive = alive
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", p.Name, p.PID, state(alive), p.Log)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fleet, readyErr := readFleet(abs)
	switch {
	case !supAlive:
		healthy = false
		fmt.Printf("\nThe supervisor is gone; run `localfleet down --dir %s` to end what is left.\n", abs)
	case readyErr == nil:
		fmt.Printf("\nReady. Hub kubeconfig: %s\n", fleet.HubKubeconfig)
	default:
		fmt.Printf("\nStarting (see %s).\n", sup.Log)
	}

	if hubAlive {
		fmt.Println()
		if err := printMemberClusters(filepath.Join(abs, "hub.kubeconfig")); err != nil {
			fmt.Printf("Listing the MemberClusters: %v\n", err)
			healthy = false
		}
	}
	if !healthy {
		return exitCode(1)
	}
	return nil
}

func state(alive bool) string {
	if alive {
		return "running"
	}
	return "dead"
}

// printMemberClusters lists the hub's MemberClusters with their Joined and
// Healthy conditions and labels.
func printMemberClusters(kubeconfig string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.Timeout = 10 * time.Second
	scheme := runtime.NewScheme()
	utilruntime.Must(clusterv1beta1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var list clusterv1beta1.MemberClusterList
	if err := c.List(ctx, &list); err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "MEMBERCLUSTER\tJOINED\tHEALTHY\tLABELS")
	for _, mc := range list.Items {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", mc.Name,
			conditionStatus(mc.Status.Conditions, clusterv1beta1.ConditionTypeMemberClusterJoined),
			conditionStatus(mc.Status.Conditions, clusterv1beta1.ConditionTypeMemberClusterHealthy),
			labelString(mc.Labels))
	}
	return w.Flush()
}

func conditionStatus(conds []metav1.Condition, t clusterv1beta1.MemberClusterConditionType) string {
	if c := meta.FindStatusCondition(conds, string(t)); c != nil {
		return string(c.Status)
	}
	return "Unknown"
}
