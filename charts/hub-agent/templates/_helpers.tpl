{{/* The chart name, or nameOverride. */}}
{{- define "hub-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the hub agent's objects: fullnameOverride, or the
release name when it contains the chart name, or <release>-<chart>.
*/}}
{{- define "hub-agent.fullname" -}}
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
{{- define "hub-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels of every object. */}}
{{- define "hub-agent.labels" -}}
helm.sh/chart: {{ include "hub-agent.chart" . }}
{{ include "hub-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: flotilla
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The labels that select the hub agent's pods. */}}
{{- define "hub-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hub-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The name of the ServiceAccount the hub agent runs as. */}}
{{- define "hub-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hub-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The container image: repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "hub-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The zap log level flag value: "info" for verbosity 0, the verbosity itself
(debug levels V(1)...V(n)) otherwise.
*/}}
{{- define "hub-agent.logLevel" -}}
{{- if eq (int .Values.logVerbosity) 0 }}info{{ else }}{{ int .Values.logVerbosity }}{{ end }}
{{- end }}
