package charts

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// access is one request a subject may or may not make.
type access struct {
	verb, group, resource, namespace string
}

func (a access) String() string {
	where := "cluster-wide"
	if a.namespace != "" {
		where = "in " + a.namespace
	}
	group := a.group
	if group == "" {
		group = "core"
	}
	return fmt.Sprintf("%s %s (%s) %s", a.verb, a.resource, group, where)
}

// serviceAccountMay asks the API server, with a SubjectAccessReview, whether
// the ServiceAccount namespace/name may make the request a.
func serviceAccountMay(namespace, name string, a access) bool {
	GinkgoHelper()
	resource, subresource, _ := strings.Cut(a.resource, "/")
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name),
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: a.namespace, Verb: a.verb, Group: a.group, Resource: resource, Subresource: subresource,
		},
	}}
	Expect(k8sClient.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}

// accessesOf expands rules into one access per group, resource and verb,
// in namespace ("" for cluster-wide).
func accessesOf(rules []rbacv1.PolicyRule, namespace string) []access {
	var out []access
	for _, r := range rules {
		Expect(r.NonResourceURLs).To(BeEmpty(), "non-resource rules are not checked here")
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, access{verb: v, group: g, resource: res, namespace: namespace})
				}
			}
		}
	}
	return out
}

// deniedOf returns the accesses in as that the ServiceAccount may not make.
func deniedOf(namespace, name string, as []access) []string {
	GinkgoHelper()
	var denied []string
	for _, a := range as {
		if !serviceAccountMay(namespace, name, a) {
			denied = append(denied, a.String())
		}
	}
	return denied
}

// allowedOf returns the accesses in as that the ServiceAccount may make.
func allowedOf(namespace, name string, as []access) []string {
	GinkgoHelper()
	var allowed []string
	for _, a := range as {
		if serviceAccountMay(namespace, name, a) {
			allowed = append(allowed, a.String())
		}
	}
	return allowed
}
