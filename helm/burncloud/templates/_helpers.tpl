{{/* Names. */}}
{{- define "burncloud.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "burncloud.fullname" -}}
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

{{/* Name of a component's objects: (dict "ctx" $ "component" "router"). */}}
{{- define "burncloud.componentName" -}}
{{- printf "%s-%s" (include "burncloud.fullname" .ctx | trunc 52 | trimSuffix "-") .component }}
{{- end }}

{{- define "burncloud.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "burncloud.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding values the chart was given or generated. */}}
{{- define "burncloud.secretName" -}}
{{- include "burncloud.fullname" . }}
{{- end }}

{{/* Labels. */}}
{{- define "burncloud.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "burncloud.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: burncloud
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "burncloud.selectorLabels" -}}
app.kubernetes.io/name: {{ include "burncloud.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "burncloud.componentLabels" -}}
{{ include "burncloud.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "burncloud.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
An env var read from a Secret: a connection URL given by value (stored in the
chart's Secret under `key`) or by an existing Secret. Nothing when neither is
set, so the binary's default applies.
(dict "ctx" $ "env" "BURNCLOUD_NATS_URL" "conn" .Values.nats "key" "nats-url")
*/}}
{{- define "burncloud.connectionEnv" -}}
{{- if .conn.existingSecret }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .conn.existingSecret }}
      key: {{ .conn.existingSecretKey }}
{{- else if .conn.url }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "burncloud.secretName" .ctx }}
      key: {{ .key }}
{{- end }}
{{- end }}

{{/* One of the deployment secrets: (dict "ctx" $ "env" "BURNCLOUD_SECRET" "which" "masterSecret"). */}}
{{- define "burncloud.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ default (include "burncloud.secretName" .ctx) .ctx.Values.secrets.existingSecret }}
      key: {{ index .ctx.Values.secrets.keys .which }}
      {{- if index . "optional" }}
      optional: true
      {{- end }}
{{- end }}

{{/* Settings every service reads. */}}
{{- define "burncloud.commonEnv" -}}
- name: BURNCLOUD_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with include "burncloud.connectionEnv" (dict "ctx" . "env" "BURNCLOUD_PYROSCOPE_URL" "conn" .Values.pyroscope "key" "pyroscope-url") | trim }}
{{ . }}
{{- end }}
{{- end }}

{{/* A Go duration from whole seconds. */}}
{{- define "burncloud.seconds" -}}
{{- printf "%ds" (int64 .) | quote }}
{{- end }}

{{/* Pod-level settings shared by the Deployments: (dict "ctx" $ "c" .Values.router). */}}
{{- define "burncloud.podCommon" -}}
serviceAccountName: {{ include "burncloud.serviceAccountName" .ctx }}
automountServiceAccountToken: false
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .c.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Topology spread: the values' list, or zones then nodes. (dict "ctx" $ "c" .Values.router "component" "router") */}}
{{- define "burncloud.topologySpread" -}}
topologySpreadConstraints:
{{- if .c.topologySpreadConstraints }}
  {{- toYaml .c.topologySpreadConstraints | nindent 2 }}
{{- else }}
{{- range list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: ScheduleAnyway
    matchLabelKeys: [pod-template-hash]
    labelSelector:
      matchLabels:
        {{- include "burncloud.selectorLabels" (dict "ctx" $.ctx "component" $.component) | nindent 8 }}
{{- end }}
{{- end }}
{{- end }}

{{/* Probes on the ops endpoints of the named port "http". */}}
{{- define "burncloud.probes" -}}
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 2
  timeoutSeconds: 2
  failureThreshold: 30
{{- end }}

{{/* A PodDisruptionBudget: (dict "ctx" $ "c" .Values.router "component" "router"). */}}
{{- define "burncloud.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "burncloud.componentName" . }}
  labels:
    {{- include "burncloud.componentLabels" . | nindent 4 }}
spec:
  {{- $min := index .c.pdb "minAvailable" }}
  {{- if not (kindIs "invalid" $min) }}
  minAvailable: {{ $min }}
  {{- else }}
  maxUnavailable: {{ .c.pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "burncloud.selectorLabels" . | nindent 6 }}
{{- end }}

{{/* A ClusterIP Service on the named port "http": (dict "ctx" $ "c" .Values.router "component" "router"). */}}
{{- define "burncloud.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "burncloud.componentName" . }}
  labels:
    {{- include "burncloud.componentLabels" . | nindent 4 }}
  {{- with .c.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .c.service.type }}
  selector:
    {{- include "burncloud.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .c.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}

{{/* An Ingress to a component's Service: (dict "ctx" $ "c" .Values.router "component" "router"). */}}
{{- define "burncloud.ingress" -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "burncloud.componentName" . }}
  labels:
    {{- include "burncloud.componentLabels" . | nindent 4 }}
  {{- with .c.ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .c.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with .c.ingress.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    {{- range .c.ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType }}
            backend:
              service:
                name: {{ include "burncloud.componentName" $ }}
                port:
                  name: http
          {{- end }}
    {{- end }}
{{- end }}

{{/* Shared container settings: image, security, extra env. */}}
{{- define "burncloud.containerCommon" -}}
image: {{ include "burncloud.image" .ctx }}
imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .ctx.Values.securityContext | nindent 2 }}
{{- with .c.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Grace period covering preStop, readiness delay, drain and flush. */}}
{{- define "burncloud.gracePeriod" -}}
{{- add (index . "preStopSleepSeconds" | default 0) (index . "readinessDelaySeconds" | default 0) .drainTimeoutSeconds .flushSeconds }}
{{- end }}

{{/* Checksum of the configuration a pod reads, so pods roll when it changes. */}}
{{- define "burncloud.configChecksum" -}}
{{- $in := dict "secrets" .Values.secrets "database" .Values.database "nats" .Values.nats "redis" .Values.redis "pyroscope" .Values.pyroscope }}
{{- toJson $in | sha256sum }}
{{- end }}

{{/* A NetworkPolicy egress rule from {to, ports}; no `to` allows the ports to any address. */}}
{{- define "burncloud.egressRule" -}}
- ports:
    {{- toYaml .ports | nindent 4 }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* BURNCLOUD_FLEET_SIZE: the value, or the most routers that may run. */}}
{{- define "burncloud.fleetSize" -}}
{{- $r := .Values.router }}
{{- if gt (int64 $r.fleetSize) 0 }}
{{- int64 $r.fleetSize }}
{{- else if $r.autoscaling.enabled }}
{{- int64 $r.autoscaling.maxReplicas }}
{{- else }}
{{- max 1 (int64 $r.replicas) }}
{{- end }}
{{- end }}
