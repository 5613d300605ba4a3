{{/* The chart name, or nameOverride. */}}
{{- define "member-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the member agent's objects: fullnameOverride, or the
release name when it contains the chart name, or <release>-<chart>.
*/}}
{{- define "member-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The chart label: <name>-<version>. */}}
{{- define "member-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels of every object. */}}
{{- define "member-agent.labels" -}}
helm.sh/chart: {{ include "member-agent.chart" . }}
{{ include "member-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: flotilla
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The labels that select the member agent's pods. */}}
{{- define "member-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "member-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The name of the ServiceAccount the member agent runs as. */}}
{{- define "member-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "member-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The container image: repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "member-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The zap log level flag value: "info" for verbosity 0, the verbosity itself
(debug levels V(1)...V(n)) otherwise.
*/}}
{{- define "member-agent.logLevel" -}}
{{- if eq (int .Values.logVerbosity) 0 }}info{{ else }}{{ int .Values.logVerbosity }}{{ end }}
{{- end }}

{{/*
Checks what the schema cannot: the values that have no default, and the
ones that depend on hub.credentials.type. Each failure says what to set.
*/}}
{{- define "member-agent.validate" -}}
{{- if not .Values.memberName }}
{{- fail "memberName is required: set it to the name of this cluster's MemberCluster on the hub (--set memberName=<name>)" }}
{{- end }}
{{- if not .Values.hub.credentials.secretName }}
{{- fail "hub.credentials.secretName is required: the Secret in the release namespace with this member's credential for the hub (a token and CA bundle, or a kubeconfig)" }}
{{- end }}
{{- if eq .Values.hub.credentials.type "token" }}
{{- if not .Values.hub.url }}
{{- fail "hub.url is required with hub.credentials.type=token: the URL of the hub's API server, e.g. https://hub.example.com:6443" }}
{{- end }}
{{- if not .Values.hub.credentials.tokenKey }}
{{- fail "hub.credentials.tokenKey is required with hub.credentials.type=token: the Secret key of the bearer token" }}
{{- end }}
{{- else }}
{{- if .Values.hub.url }}
{{- fail "hub.url must be empty with hub.credentials.type=kubeconfig: the kubeconfig names the hub's server" }}
{{- end }}
{{- if not .Values.hub.credentials.kubeconfigKey }}
{{- fail "hub.credentials.kubeconfigKey is required with hub.credentials.type=kubeconfig: the Secret key of the kubeconfig" }}
{{- end }}
{{- end }}
{{- end }}
