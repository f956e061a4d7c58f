{{/* Names and labels shared by every object of the chart. */}}
{{- define "bpo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bpo.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "bpo.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "bpo.labels" -}}
app.kubernetes.io/name: {{ include "bpo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "bpo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bpo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "bpo.logLevels" -}}
{{- $levels := list -}}
{{- range $logger, $level := .Values.logLevels -}}
{{- $levels = append $levels (printf "%s=%s" $logger $level) -}}
{{- end -}}
{{- join "," $levels -}}
{{- end -}}

{{- define "bpo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "bpo.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The rules the operator needs on FlinkDeployments, its policies and events; see
     src/main/java/dev/backpressure/operator/RequiredAccess.java, which a test keeps equal. */}}
{{- define "bpo.rules" -}}
- apiGroups: ["flink.apache.org"]
  resources: ["flinkdeployments"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["backpressure.dev"]
  resources: ["remediationpolicies"]
  verbs: ["list", "watch"]
- apiGroups: ["backpressure.dev"]
  resources: ["remediationpolicies/status"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "get", "patch"]
{{- end -}}
