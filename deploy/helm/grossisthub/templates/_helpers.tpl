{{/*
Names, labels and the pieces every hub pod shares.
*/}}

{{- define "grossisthub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "grossisthub.fullname" -}}
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

{{- define "grossisthub.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "grossisthub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "grossisthub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "grossisthub.labels" -}}
helm.sh/chart: {{ include "grossisthub.chart" . }}
{{ include "grossisthub.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: grossisthub
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Name of one role's resources: <fullname>-<component>, at most 63 characters. */}}
{{- define "grossisthub.componentName" -}}
{{- printf "%s-%s" (include "grossisthub.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "grossisthub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "grossisthub.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "grossisthub.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The roles: values key -> component name, shape and source topics. `kind` is
  worker  a Kafka consumer group (scales up to the partitions of its topics),
  poller  must never run twice (replicas <= 1, strategy Recreate),
  server  listens on a port (Service).
`partitions` is the largest partition count of its topics in schemas/topics.yaml
(tests/helm/test_chart.py keeps them in step); NOTES.txt warns when replicas exceed it.
`keys` names the keys.* Secret the role mounts.
*/}}
{{- define "grossisthub.roles" -}}
translator:
  component: translator
  kind: worker
  topics: [hub.raw.v1]
  partitions: 6
translatorBulk:
  component: translator-bulk
  kind: worker
  topics: [hub.raw.bulk.v1]
  partitions: 3
sinkErp:
  component: sink-erp
  kind: worker
  topics: [hub.invoice.v1]
  partitions: 6
sinkOrders:
  component: sink-orders
  kind: worker
  topics: [hub.orderconfirmation.v1]
  partitions: 6
sinkCatalog:
  component: sink-catalog
  kind: worker
  topics: [hub.price.v1, hub.pricelist.v1, hub.discount.v1]
  partitions: 6
connectors:
  component: connectors
  kind: poller
  keys: sftp
connectorAs2:
  component: as2
  kind: server
  portName: as2
  keys: as2
sftpInbox:
  component: sftp-inbox
  kind: poller
  portName: sftp
  keys: sftpInbox
api:
  component: api
  kind: server
  portName: http
{{- end }}

{{- define "grossisthub.dataClaimName" -}}
{{- default (printf "%s-data" (include "grossisthub.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{- define "grossisthub.partnersFile" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.partners.mountPath) .Values.partners.key }}
{{- end }}

{{/*
The non-secret HUB_* settings as a YAML map of strings: the ConfigMap's data, and the hook Job's env
(the hook runs before the ConfigMap exists). Empty strings and nulls are left out so the hub's default
applies. Integers go through int64: Helm may hold numbers as float64, and 536870912 must not become
5.36870912e+08.
*/}}
{{- define "grossisthub.settings" -}}
{{- $c := .Values.config }}
{{- $strings := dict
  "HUB_DATA_DIR" .Values.persistence.mountPath
  "HUB_CACHE_DIR" .Values.cacheMountPath
  "HUB_PARTNERS_FILE" (include "grossisthub.partnersFile" .)
  "HUB_BOOTSTRAP_SERVERS" $c.bootstrapServers
  "HUB_SCHEMA_REGISTRY_URL" $c.schemaRegistryUrl
  "HUB_TOPIC_PREFIX" $c.topicPrefix
  "HUB_APP_ID" $c.appId
  "HUB_LOG_LEVEL" $c.logLevel
  "HUB_LOG_FORMAT" $c.logFormat
  "HUB_ARCHIVE_DIR" $c.archiveDir
  "HUB_VALIDATION_ARTEFACTS" $c.validationArtefacts
  "HUB_EXTRA_TRANSLATORS" $c.extraTranslators
  "HUB_PRICE_LIST_REJECT_RATIO" $c.priceListRejectRatio
  "HUB_KAFKA_SECURITY_PROTOCOL" $c.kafkaSecurityProtocol
  "HUB_KAFKA_SASL_MECHANISM" $c.kafkaSaslMechanism
  "HUB_KAFKA_SASL_USERNAME" $c.kafkaSaslUsername
  "HUB_KAFKA_SSL_CA_FILE" $c.kafkaSslCaFile
  "HUB_KAFKA_SSL_CERT_FILE" $c.kafkaSslCertFile
  "HUB_KAFKA_SSL_KEY_FILE" $c.kafkaSslKeyFile
}}
{{- if .Values.secrets.schemaRegistryUrlKey }}
{{- $_ := unset $strings "HUB_SCHEMA_REGISTRY_URL" }}
{{- end }}
{{- $numbers := dict
  "HUB_KAFKA_DELIVERY_TIMEOUT_S" $c.kafkaDeliveryTimeoutS
  "HUB_KAFKA_SESSION_TIMEOUT_S" $c.kafkaSessionTimeoutS
  "HUB_DROP_POLL_INTERVAL_S" $c.dropPollIntervalS
  "HUB_DROP_MIN_AGE_S" $c.dropMinAgeS
}}
{{- $integers := dict
  "HUB_API_PORT" .Values.api.port
  "HUB_CATALOG_BATCH_SIZE" $c.catalogBatchSize
  "HUB_MAX_DOCUMENT_BYTES" $c.maxDocumentBytes
  "HUB_MAX_XML_BYTES" $c.maxXmlBytes
  "HUB_BULK_THRESHOLD_BYTES" $c.bulkThresholdBytes
  "HUB_INLINE_LIMIT_BYTES" $c.inlineLimitBytes
}}
{{- $out := dict }}
{{- range $k, $v := $strings }}
{{- if and (not (kindIs "invalid" $v)) (ne (toString $v) "") }}
{{- $_ := set $out $k (toString $v) }}
{{- end }}
{{- end }}
{{- range $k, $v := $numbers }}
{{- if not (kindIs "invalid" $v) }}
{{- $_ := set $out $k (toString $v) }}
{{- end }}
{{- end }}
{{- range $k, $v := $integers }}
{{- if not (kindIs "invalid" $v) }}
{{- $_ := set $out $k (toString (int64 $v)) }}
{{- end }}
{{- end }}
{{- range $k, $v := $c.extraEnv }}
{{- if not (hasPrefix "HUB_" $k) }}
{{- fail (printf "config.extraEnv: %s is not a HUB_* setting" $k) }}
{{- end }}
{{- $_ := set $out $k (toString $v) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Secret settings: env entries that reference secrets.existingSecret. */}}
{{- define "grossisthub.secretEnv" -}}
{{- $s := .Values.secrets -}}
- name: HUB_ERP_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.existingSecret is required" $s.existingSecret | quote }}
      key: {{ required "secrets.erpDatabaseUrlKey is required" $s.erpDatabaseUrlKey | quote }}
{{- if $s.stateDatabaseUrlKey }}
- name: HUB_STATE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret | quote }}
      key: {{ $s.stateDatabaseUrlKey | quote }}
{{- end }}
{{- if $s.schemaRegistryUrlKey }}
- name: HUB_SCHEMA_REGISTRY_URL
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret | quote }}
      key: {{ $s.schemaRegistryUrlKey | quote }}
{{- end }}
{{- if $s.kafkaSaslPasswordKey }}
- name: HUB_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret | quote }}
      key: {{ $s.kafkaSaslPasswordKey | quote }}
{{- end }}
{{- end }}

{{/* The partners file volume (a ConfigMap or a Secret that already exists). */}}
{{- define "grossisthub.partnersVolume" -}}
{{- $p := .Values.partners -}}
{{- if and $p.existingConfigMap $p.existingSecret }}
{{- fail "partners: set only one of existingConfigMap and existingSecret" }}
{{- end -}}
- name: partners
{{- if $p.existingSecret }}
  secret:
    secretName: {{ $p.existingSecret | quote }}
    items:
      - key: {{ $p.key | quote }}
        path: {{ $p.key | quote }}
{{- else }}
  configMap:
    name: {{ required "partners.existingConfigMap or partners.existingSecret is required" $p.existingConfigMap | quote }}
    items:
      - key: {{ $p.key | quote }}
        path: {{ $p.key | quote }}
{{- end }}
{{- end }}

{{/* Volumes without the data volume: cache, work dir, /tmp, partners file. */}}
{{- define "grossisthub.baseVolumes" -}}
- name: cache
  emptyDir: {}
- name: work
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{ include "grossisthub.partnersVolume" . }}
{{- end }}

{{- define "grossisthub.baseVolumeMounts" -}}
- name: cache
  mountPath: {{ .Values.cacheMountPath | quote }}
- name: work
  mountPath: {{ .Values.workingDir | quote }}
- name: tmp
  mountPath: /tmp
- name: partners
  mountPath: {{ .Values.partners.mountPath | quote }}
  readOnly: true
{{- end }}
