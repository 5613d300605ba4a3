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

// subject is who a SubjectAccessReview asks about.
type subject struct {
	user   string
	groups []string
}

// serviceAccount is the subject of the ServiceAccount namespace/name.
func serviceAccount(namespace, name string) subject {
	return subject{
		user:   fmt.Sprintf("system:serviceaccount:%s:%s", namespace, name),
		groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
}

// user is the subject of an authenticated user in no group.
func user(name string) subject {
	return subject{user: name, groups: []string{"system:authenticated"}}
}

// may asks the API server, with a SubjectAccessReview, whether s may make
// the request a.
func (s subject) may(a access) bool {
	GinkgoHelper()
	resource, subresource, _ := strings.Cut(a.resource, "/")
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   s.user,
		Groups: s.groups,
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

// deniedOf returns the accesses in as that s may not make.
func deniedOf(s subject, as []access) []string {
	GinkgoHelper()
	var denied []string
	for _, a := range as {
		if !s.may(a) {
			denied = append(denied, a.String())
		}
	}
	return denied
}

// allowedOf returns the accesses in as that s may make.
func allowedOf(s subject, as []access) []string {
	GinkgoHelper()
	var allowed []string
	for _, a := range as {
		if s.may(a) {
			allowed = append(allowed, a.String())
		}
	}
	return allowed
}
