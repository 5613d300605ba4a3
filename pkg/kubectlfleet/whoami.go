package kubectlfleet

import (
	"context"

	authenticationv1 "k8s.io/api/authentication/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// unknownUser stands for the approver when neither the API server nor the
// kubeconfig names one.
const unknownUser = "an unknown user"

// whoAmI returns the user name the API server authenticates the caller as,
// from a SelfSubjectReview. When the server refuses the review (an older
// server, or RBAC without the default self-review grant), it falls back to
// the user name of the kubeconfig context in use.
func (o *fleetOptions) whoAmI(ctx context.Context, c client.Client) string {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err == nil && review.Status.UserInfo.Username != "" {
		return review.Status.UserInfo.Username
	}
	raw, err := o.configFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return unknownUser
	}
	return kubeconfigUser(raw, deref(o.configFlags.Context), deref(o.configFlags.AuthInfoName))
}

// kubeconfigUser returns the user (AuthInfo) name of the context in use:
// the --user flag, else the user of the --context flag's context, else of
// the current context.
func kubeconfigUser(raw clientcmdapi.Config, contextFlag, userFlag string) string {
	if userFlag != "" {
		return userFlag
	}
	name := raw.CurrentContext
	if contextFlag != "" {
		name = contextFlag
	}
	if kctx, ok := raw.Contexts[name]; ok && kctx.AuthInfo != "" {
		return kctx.AuthInfo
	}
	return unknownUser
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
