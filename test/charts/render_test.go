package charts

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-dev/flotilla/pkg/hubagent"
	"github.com/flotilla-dev/flotilla/pkg/memberagent"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current renderings")

// render runs helm template on chart and returns the documents.
func render(t *testing.T, h *Helm, chart string, args ...string) []document {
	t.Helper()
	out, err := h.Template(Release, Namespace, RenderCase{Chart: chart, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	return splitDocuments(t, out)
}

// document is one object of helm template's output.
type document struct {
	// source is the template it came from, e.g. hub-agent/templates/deployment.yaml.
	source string
	// text is the document as rendered, without its Source comment.
	text string
	obj  *unstructured.Unstructured
}

func splitDocuments(t *testing.T, out string) []document {
	t.Helper()
	var docs []document
	for _, part := range strings.Split(out, "\n---\n") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "---\n")
		if part == "" {
			continue
		}
		source, text, ok := strings.Cut(part, "\n")
		if !ok || !strings.HasPrefix(source, "# Source: ") {
			t.Fatalf("a rendered document does not start with its # Source comment:\n%s", part)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(text), &obj.Object); err != nil {
			t.Fatalf("%s does not render valid YAML: %v\n%s", source, err, text)
		}
		if obj.Object == nil {
			continue // a template that renders only comments
		}
		docs = append(docs, document{source: strings.TrimPrefix(source, "# Source: "), text: text, obj: obj})
	}
	return docs
}

// golden is what a golden file holds for docs: each document as rendered,
// except a CRD's spec, which TestCRDTemplatesEqualConfig compares with
// config/crd/bases instead, so that an API change does not churn the golden
// files.
func golden(t *testing.T, docs []document) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, d := range docs {
		b.WriteString("---\n# Source: " + d.source + "\n")
		if d.obj.GetKind() != "CustomResourceDefinition" {
			b.WriteString(d.text + "\n")
			continue
		}
		stub := map[string]any{"apiVersion": d.obj.GetAPIVersion(), "kind": d.obj.GetKind(), "metadata": d.obj.Object["metadata"]}
		data, err := yaml.Marshal(stub)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		plural, group, _ := strings.Cut(d.obj.GetName(), ".")
		b.WriteString("# spec: as in config/crd/bases/" + group + "_" + plural + ".yaml\n")
	}
	return b.Bytes()
}

func TestTemplateGolden(t *testing.T) {
	h := NewHelm(t, t.TempDir())
	for _, tc := range RenderCases() {
		t.Run(tc.Name, func(t *testing.T) {
			got := golden(t, render(t, h, tc.Chart, tc.Args...))
			file := filepath.Join("testdata", tc.Name+".golden")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("reading the golden file (create it with go test ./test/charts -update): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("helm template %s %v differs from %s (-want,+got); if the change is meant, run go test ./test/charts -update and review the diff:\n%s",
					tc.Chart, tc.Args, file, diff)
			}
		})
	}
}

func TestLint(t *testing.T) {
	h := NewHelm(t, t.TempDir())
	tests := map[string]struct {
		chart string
		args  []string
	}{
		"the hub-agent chart with its defaults":        {chart: "hub-agent"},
		"the hub-agent chart with every option set":    {chart: "hub-agent", args: []string{"-f", "testdata/hub-agent-ha.values.yaml"}},
		"the member-agent chart with its defaults":     {chart: "member-agent"},
		"the member-agent chart with a token":          {chart: "member-agent", args: []string{"-f", filepath.Join(ChartDir("member-agent"), "ci", "token-values.yaml")}},
		"the member-agent chart with a kubeconfig":     {chart: "member-agent", args: []string{"-f", filepath.Join(ChartDir("member-agent"), "ci", "kubeconfig-values.yaml")}},
		"the member-agent chart with every option set": {chart: "member-agent", args: []string{"-f", "testdata/member-agent-kubeconfig.values.yaml"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, strict := range [][]string{nil, {"--strict"}} {
				args := append(append([]string{"lint", ChartDir(tc.chart)}, strict...), tc.args...)
				out, _, err := h.Run(args...)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
					t.Errorf("helm %v:\n%s", args, out)
				}
			}
		})
	}
	t.Run("lint fails on a value the schema rejects", func(t *testing.T) {
		out, _, err := h.Run("lint", "--strict", ChartDir("hub-agent"), "--set", "replicas=two")
		if err == nil || !strings.Contains(out, "at '/replicas': got string, want integer") {
			t.Errorf("helm lint --set replicas=two = %v:\n%s\nwant a failure naming /replicas", err, out)
		}
	})
}

func TestSchemaRejectsBadValues(t *testing.T) {
	h := NewHelm(t, t.TempDir())
	memberToken := []string{"-f", filepath.Join(ChartDir("member-agent"), "ci", "token-values.yaml")}
	tests := map[string]struct {
		chart string
		args  []string
		want  string
	}{
		"a replica count that is not a number": {
			chart: "hub-agent", args: []string{"--set-string", "replicas=two"},
			want: "at '/replicas': got string, want integer",
		},
		"a misspelt value": {
			chart: "hub-agent", args: []string{"--set", "replica=2"},
			want: "additional properties 'replica' not allowed",
		},
		"a misspelt nested value": {
			chart: "hub-agent", args: []string{"--set", "serviceMonitor.enable=true"},
			want: "at '/serviceMonitor': additional properties 'enable' not allowed",
		},
		"an unknown pull policy": {
			chart: "hub-agent", args: []string{"--set", "image.pullPolicy=Sometimes"},
			want: "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'",
		},
		"a verbosity beyond 10": {
			chart: "hub-agent", args: []string{"--set", "logVerbosity=11"},
			want: "at '/logVerbosity': maximum: got 11, want 10",
		},
		"an unknown log format": {
			chart: "hub-agent", args: []string{"--set", "logFormat=text"},
			want: "at '/logFormat': value must be one of 'json', 'console'",
		},
		"a duration without a unit": {
			chart: "hub-agent", args: []string{"--set-string", "leaderElection.leaseDuration=15"},
			want: "at '/leaderElection/leaseDuration': '15' does not match pattern",
		},
		"an extra argument that is not a flag": {
			chart: "hub-agent", args: []string{"--set-json", `extraArgs=["leader-elect=false"]`},
			want: "at '/extraArgs/0': 'leader-elect=false' does not match pattern",
		},
		"a port out of range": {
			chart: "hub-agent", args: []string{"--set", "metrics.port=70000"},
			want: "at '/metrics/port': maximum: got 70,000, want 65,535",
		},
		"no hub worker": {
			chart: "hub-agent", args: []string{"--set", "maxConcurrentReconciles=0"},
			want: "at '/maxConcurrentReconciles': minimum: got 0, want 1",
		},
		"a resource quantity that is not one": {
			chart: "hub-agent", args: []string{"--set", "resources.limits.cpu=lots"},
			want: "at '/resources/limits/cpu': 'lots' does not match pattern",
		},
		"a member name that is not a DNS label": {
			chart: "member-agent", args: append(slices.Clone(memberToken), "--set", "memberName=Member_1"),
			want: "at '/memberName': 'Member_1' does not match pattern",
		},
		"a hub URL in clear text": {
			chart: "member-agent", args: append(slices.Clone(memberToken), "--set", "hub.url=http://hub.example.com:6443"),
			want: "at '/hub/url': 'http://hub.example.com:6443' does not match pattern",
		},
		"an unknown credential type": {
			chart: "member-agent", args: append(slices.Clone(memberToken), "--set", "hub.credentials.type=certificate"),
			want: "at '/hub/credentials/type': value must be one of 'token', 'kubeconfig'",
		},
		"no worker": {
			chart: "member-agent", args: append(slices.Clone(memberToken), "--set", "workApplierConcurrency=0"),
			want: "at '/workApplierConcurrency': minimum: got 0, want 1",
		},
		"no member name": {
			chart: "member-agent", args: []string{"--set", "hub.url=https://hub:6443", "--set", "hub.credentials.secretName=hub"},
			want: "memberName is required: set it to the name of this cluster's MemberCluster on the hub",
		},
		"no credential Secret": {
			chart: "member-agent", args: []string{"--set", "memberName=m", "--set", "hub.url=https://hub:6443"},
			want: "hub.credentials.secretName is required",
		},
		"a token without the hub's URL": {
			chart: "member-agent", args: []string{"--set", "memberName=m", "--set", "hub.credentials.secretName=hub"},
			want: "hub.url is required with hub.credentials.type=token",
		},
		"a kubeconfig and a hub URL": {
			chart: "member-agent", args: append(slices.Clone(memberToken), "--set", "hub.credentials.type=kubeconfig"),
			want: "hub.url must be empty with hub.credentials.type=kubeconfig",
		},
		"no ServiceAccount to run as": {
			chart: "hub-agent", args: []string{"--set", "serviceAccount.create=false"},
			want: "serviceAccount.name is required when serviceAccount.create is false",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := h.Run(append([]string{"template", Release, ChartDir(tc.chart), "--namespace", Namespace}, tc.args...)...)
			if err == nil {
				t.Fatalf("helm template %s %v succeeded, want an error containing %q", tc.chart, tc.args, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template %s %v: got\n%v\nwant an error containing %q", tc.chart, tc.args, err, tc.want)
			}
		})
	}
}

// strictDecoder decodes the built-in kinds and CRDs, rejecting unknown and
// duplicate fields.
func strictDecoder() runtime.Decoder {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}

// TestRenderedObjectsAreValid decodes every rendered object strictly as its
// Kubernetes type and checks what the charts promise about the agents'
// Deployments. (test/integration/charts installs the charts on an API server.)
func TestRenderedObjectsAreValid(t *testing.T) {
	h := NewHelm(t, t.TempDir())
	decoder := strictDecoder()
	for _, tc := range RenderCases() {
		t.Run(tc.Name, func(t *testing.T) {
			docs := render(t, h, tc.Chart, tc.Args...)
			var deployments []*appsv1.Deployment
			var services []*corev1.Service
			var monitors []*unstructured.Unstructured
			for _, d := range docs {
				if errs := validation.IsDNS1123Subdomain(d.obj.GetName()); len(errs) > 0 {
					t.Errorf("%s: %s %q is not a valid name: %v", d.source, d.obj.GetKind(), d.obj.GetName(), errs)
				}
				if ns := d.obj.GetNamespace(); ns != "" && ns != Namespace {
					t.Errorf("%s: %s %s is in namespace %q, not the release namespace", d.source, d.obj.GetKind(), d.obj.GetName(), ns)
				}
				if d.obj.GetAPIVersion() == "monitoring.coreos.com/v1" && d.obj.GetKind() == "ServiceMonitor" {
					monitors = append(monitors, d.obj)
					continue
				}
				obj, _, err := decoder.Decode([]byte(d.text), nil, nil)
				if err != nil {
					t.Errorf("%s: %v", d.source, err)
					continue
				}
				switch o := obj.(type) {
				case *appsv1.Deployment:
					deployments = append(deployments, o)
				case *corev1.Service:
					services = append(services, o)
				}
			}
			if len(deployments) != 1 || len(services) != 1 {
				t.Fatalf("rendered %d Deployments and %d Services, want one of each", len(deployments), len(services))
			}
			checkDeployment(t, tc.Chart, deployments[0])
			checkMetrics(t, deployments[0], services[0], monitors)
		})
	}
}

// checkDeployment checks the agent's pod: hardened, probed on the health
// port, leader-elected in the release namespace, and given only flags the
// agent has, which it accepts.
func checkDeployment(t *testing.T, chart string, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("the pod or its container has no securityContext")
	}
	hardening := map[string]bool{
		"runAsNonRoot":                  psc.RunAsNonRoot != nil && *psc.RunAsNonRoot,
		"seccompProfile RuntimeDefault": psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault,
		"readOnlyRootFilesystem":        sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem,
		"no allowPrivilegeEscalation":   sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation,
		"every capability dropped":      sc.Capabilities != nil && slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0,
		"resource requests":             c.Resources.Requests.Cpu() != nil && !c.Resources.Requests.Cpu().IsZero() && !c.Resources.Requests.Memory().IsZero(),
		"liveness probe on /healthz":    c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path == "/healthz",
		"readiness probe on /readyz":    c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path == "/readyz",
		"a ServiceAccount of its own":   pod.ServiceAccountName != "" && pod.ServiceAccountName != "default",
	}
	for what, ok := range hardening {
		if !ok {
			t.Errorf("the Deployment's pod lacks %s", what)
		}
	}

	// The flags parse with the agent's own flag set, and say what the chart
	// promises.
	fs := flag.NewFlagSet(chart, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var validate func() error
	var leaderElect *bool
	var leNamespace, health *string
	switch chart {
	case "hub-agent":
		o := hubagent.NewOptions()
		o.AddFlags(fs)
		leaderElect, leNamespace, health = &o.LeaderElect, &o.LeaderElectionNamespace, &o.HealthProbeBindAddress
	case "member-agent":
		o := memberagent.NewOptions()
		o.AddFlags(fs)
		leaderElect, leNamespace, health = &o.LeaderElect, &o.LeaderElectionNamespace, &o.HealthProbeBindAddress
		validate = o.Validate
	}
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	*leaderElect = false
	if err := fs.Parse(append(slices.Clone(c.Command), c.Args...)); err != nil {
		t.Fatalf("the agent rejects the chart's arguments %v: %v", c.Args, err)
	}
	if fs.NArg() != 0 {
		t.Errorf("arguments %v are not flags", fs.Args())
	}
	if validate != nil {
		if err := validate(); err != nil {
			t.Errorf("the member agent rejects the chart's arguments %v: %v", c.Args, err)
		}
	}
	if !*leaderElect || *leNamespace != Namespace {
		t.Errorf("leader election on %v in %q, want on in the release namespace %q", *leaderElect, *leNamespace, Namespace)
	}
	healthPort := portNamed(c, "health")
	if healthPort == 0 || *health != ":"+strconv.Itoa(int(healthPort)) {
		t.Errorf("the health probe binds %q, want the container port named health (%d)", *health, healthPort)
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
		if p != nil && p.HTTPGet != nil && p.HTTPGet.Port.String() != "health" {
			t.Errorf("a probe targets port %s, want health", p.HTTPGet.Port.String())
		}
	}

	// The hub agent's Go runtime knows its memory limit.
	if chart == "hub-agent" && !c.Resources.Limits.Memory().IsZero() {
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "MEMORY_LIMIT" })
		if i < 0 || c.Env[i].ValueFrom == nil || c.Env[i].ValueFrom.ResourceFieldRef == nil ||
			c.Env[i].ValueFrom.ResourceFieldRef.Resource != "limits.memory" || c.Env[i].ValueFrom.ResourceFieldRef.ContainerName != c.Name {
			t.Errorf("the hub agent has a memory limit but no MEMORY_LIMIT from it: env %+v", c.Env)
		}
	}
}

// checkMetrics checks that the metrics Service, and the ServiceMonitor when
// rendered, reach the agent's metrics port.
func checkMetrics(t *testing.T, d *appsv1.Deployment, svc *corev1.Service, monitors []*unstructured.Unstructured) {
	t.Helper()
	c := d.Spec.Template.Spec.Containers[0]
	if portNamed(c, "metrics") == 0 {
		t.Fatal("the container has no port named metrics")
	}
	if !slices.Contains(c.Args, "--metrics-bind-address=:"+strconv.Itoa(int(portNamed(c, "metrics")))) {
		t.Errorf("the agent's metrics do not bind the container port named metrics: %v", c.Args)
	}
	podLabels := d.Spec.Template.Labels
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != v {
			t.Errorf("the metrics Service selects %s=%s, which the pods lack", k, v)
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "metrics" || svc.Spec.Ports[0].Name != "metrics" {
		t.Errorf("the metrics Service's ports are %+v, want one named metrics targeting metrics", svc.Spec.Ports)
	}
	for _, m := range monitors {
		selector, _, _ := unstructured.NestedStringMap(m.Object, "spec", "selector", "matchLabels")
		for k, v := range selector {
			if svc.Labels[k] != v {
				t.Errorf("the ServiceMonitor selects %s=%s, which the metrics Service lacks", k, v)
			}
		}
		endpoints, _, _ := unstructured.NestedSlice(m.Object, "spec", "endpoints")
		if len(endpoints) != 1 || endpoints[0].(map[string]any)["port"] != "metrics" {
			t.Errorf("the ServiceMonitor's endpoints are %v, want one on port metrics", endpoints)
		}
	}
}

func portNamed(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// TestCRDTemplatesEqualConfig checks the generated CRD templates against
// config/crd/bases: the hub chart has every CRD the hub agent requires, the
// member chart the rest, each spec equal to its source, guarded by the crds
// values.
func TestCRDTemplatesEqualConfig(t *testing.T) {
	h := NewHelm(t, t.TempDir())
	files, err := filepath.Glob(filepath.Join(RepoRoot(), "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("listing config/crd/bases: %v (%d files)", err, len(files))
	}
	want := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want[crd.Name] = crd
	}
	hubKinds := hubagent.RequiredKinds(hubagent.NewScheme())
	decoder := strictDecoder()
	crdsOf := func(t *testing.T, chart string, args ...string) map[string]*apiextensionsv1.CustomResourceDefinition {
		t.Helper()
		got := map[string]*apiextensionsv1.CustomResourceDefinition{}
		for _, d := range render(t, h, chart, args...) {
			if d.obj.GetKind() != "CustomResourceDefinition" {
				continue
			}
			obj, _, err := decoder.Decode([]byte(d.text), nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", d.source, err)
			}
			got[d.obj.GetName()] = obj.(*apiextensionsv1.CustomResourceDefinition)
		}
		return got
	}
	memberArgs := []string{"-f", filepath.Join(ChartDir("member-agent"), "ci", "token-values.yaml")}
	hub, member := crdsOf(t, "hub-agent"), crdsOf(t, "member-agent", memberArgs...)

	if len(hub)+len(member) != len(want) {
		t.Errorf("the charts install %d + %d CRDs, config/crd/bases has %d", len(hub), len(member), len(want))
	}
	for name, w := range want {
		required := slices.ContainsFunc(hubKinds, func(k schema.GroupVersionKind) bool {
			return k.Group == w.Spec.Group && k.Kind == w.Spec.Names.Kind
		})
		chart, got := "hub-agent", hub[name]
		if !required {
			chart, got = "member-agent", member[name]
		}
		if got == nil {
			t.Errorf("the %s chart does not install %s", chart, name)
			continue
		}
		if diff := cmp.Diff(w.Spec, got.Spec); diff != "" {
			t.Errorf("the %s chart's %s differs from config/crd/bases; run make manifests (-want,+got):\n%s", chart, name, diff)
		}
		if got.Annotations["helm.sh/resource-policy"] != "keep" {
			t.Errorf("the %s chart's %s is not kept on uninstall by default", chart, name)
		}
		if got.Labels["app.kubernetes.io/instance"] != Release || got.Labels["app.kubernetes.io/part-of"] != "flotilla" {
			t.Errorf("the %s chart's %s lacks the chart's labels: %v", chart, name, got.Labels)
		}
	}
	if got := crdsOf(t, "hub-agent", "--set", "crds.install=false"); len(got) != 0 {
		t.Errorf("crds.install=false still renders %d CRDs", len(got))
	}
	for name, crd := range crdsOf(t, "member-agent", append(memberArgs, "--set", "crds.keep=false")...) {
		if _, ok := crd.Annotations["helm.sh/resource-policy"]; ok {
			t.Errorf("crds.keep=false still keeps %s", name)
		}
	}
}

// TestRBACTemplateEqualsConfig checks the hub chart's ClusterRole and Role
// against config/rbac/role.yaml.
func TestRBACTemplateEqualsConfig(t *testing.T) {
	h := NewHelm(t, t.TempDir())
	want := ConfigRBAC(t)
	decoder := strictDecoder()
	var gotCluster, gotRole []rbacv1.PolicyRule
	var roles int
	for _, d := range render(t, h, "hub-agent") {
		switch d.obj.GetKind() {
		case "ClusterRole", "Role":
			obj, _, err := decoder.Decode([]byte(d.text), nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", d.source, err)
			}
			switch o := obj.(type) {
			case *rbacv1.ClusterRole:
				gotCluster = o.Rules
			case *rbacv1.Role:
				roles++
				gotRole = o.Rules
				if o.Namespace != Namespace {
					t.Errorf("the leader election Role is in %q, want the release namespace %q", o.Namespace, Namespace)
				}
			}
		}
	}
	if diff := cmp.Diff(want.ClusterRules, gotCluster); diff != "" {
		t.Errorf("the chart's ClusterRole differs from config/rbac/role.yaml; run make manifests (-want,+got):\n%s", diff)
	}
	if roles != 1 {
		t.Fatalf("the chart renders %d Roles, want 1 (leader election)", roles)
	}
	if diff := cmp.Diff(want.NamespaceRules, gotRole); diff != "" {
		t.Errorf("the chart's Role differs from config/rbac/role.yaml; run make manifests (-want,+got):\n%s", diff)
	}
}
