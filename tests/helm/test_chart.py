"""The Helm chart (deploy/helm/grossisthub), checked without a helm binary and without a network.

Always run: Chart.yaml and values.yaml parse; values (and ci/ values) validate against values.schema.json
and bad values are refused; every leaf of values.yaml has a helm-docs "# --" comment and README.md is in step;
every HUB_* name the chart can set is a field of HubSettings; every template is well-formed Go-template text;
the role table's partition counts match schemas/topics.yaml.

With helm-python-sdk (Helm v4 as a library) and kubernetes-validate installed (dev extras): `helm lint
--strict`, render with default values and with every role on, every document parses as YAML and validates
against the Kubernetes OpenAPI schema (offline, strict), and the chart's promises are checked on the output.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from hub.settings import HubSettings
from tests.helm.helmdocs import CHART_DIR, documented_keys, render_readme

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = CHART_DIR / "templates"
CI_VALUES = sorted((CHART_DIR / "ci").glob("*-values.yaml"))
HUB_NAME = re.compile(r"\bHUB_[A-Z0-9_]+\b")
KUBE_VERSION = "1.30.0"  # the oldest Kubernetes the schema check covers; Chart.yaml says >=1.25
SETTINGS = set(HubSettings.model_fields)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def values() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(CHART_DIR / "values.yaml")
    return loaded


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CHART_DIR / "values.schema.json").read_text(encoding="utf-8"))
    return loaded


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def schema_errors(instance: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(instance)]


def setting_of(name: str) -> str:
    return name.removeprefix("HUB_").lower()


def camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --- always run ------------------------------------------------------------------------------------------


def test_chart_yaml_versions_chart_and_app_independently() -> None:
    chart = load_yaml(CHART_DIR / "Chart.yaml")
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "grossisthub" == CHART_DIR.name
    assert chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", chart["version"])
    assert isinstance(chart["appVersion"], str), "quote appVersion: it is a label value, never a number"
    assert chart["kubeVersion"].startswith(">=")


def test_values_schema_is_a_valid_draft7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(schema())
    assert schema()["additionalProperties"] is False, "unknown top-level keys (typos) must be refused"


def test_default_values_validate_against_the_schema() -> None:
    assert schema_errors(values()) == []


@pytest.mark.parametrize("path", CI_VALUES, ids=lambda p: p.name)
def test_ci_values_validate_against_the_schema(path: Path) -> None:
    assert schema_errors(deep_merge(values(), load_yaml(path))) == []


@pytest.mark.parametrize(
    ("override", "where"),
    [
        ({"connectors": {"replicaCount": 2}}, "connectors.replicaCount"),
        ({"sftpInbox": {"replicaCount": 3}}, "sftpInbox.replicaCount"),
        ({"connectors": {"strategy": {"type": "RollingUpdate"}}}, "connectors"),
        ({"config": {"bootstrapServers": ""}}, "config.bootstrapServers"),
        ({"config": {"logLevel": "TRACE"}}, "config.logLevel"),
        ({"config": {"topicPrefix": "my_prefix."}}, "config.topicPrefix"),
        ({"config": {"maxDocumentBytes": "big"}}, "config.maxDocumentBytes"),
        ({"config": {"bootstrapServer": "typo:9092"}}, "config"),
        ({"config": {"extraEnv": {"LOG_LEVEL": "DEBUG"}}}, "config.extraEnv"),
        ({"secrets": {"existingSecret": ""}}, "secrets.existingSecret"),
        ({"partners": {"existingSecret": "both-set"}}, "partners"),
        ({"partners": {"existingConfigMap": ""}}, "partners"),
        ({"translator": {"replicas": 3}}, "translator"),
        ({"replicaCount": 2}, "<root>"),
        ({"image": {"digest": "latest"}}, "image.digest"),
    ],
)
def test_schema_refuses_bad_values(override: dict[str, Any], where: str) -> None:
    errors = schema_errors(deep_merge(values(), override))
    assert errors, f"{override} was accepted"
    assert any(e.startswith(f"{where}:") for e in errors), errors


def test_every_leaf_value_has_a_helm_docs_comment() -> None:
    docs = documented_keys((CHART_DIR / "values.yaml").read_text(encoding="utf-8"))
    assert len(docs) > 100
    missing = [f"values.yaml:{d.line} {d.path}" for d in docs if not d.description]
    assert missing == [], "add a '# --' comment above each of these keys"


def test_helm_docs_reader_finds_an_undocumented_leaf() -> None:
    text = "a:\n  # -- documented\n  b: 1\n  c: {}\n# plain comment\nd: x\n# -- first\n# continued\ne: []\n"
    docs = {d.path: d.description for d in documented_keys(text)}
    assert docs == {"a.b": "documented", "a.c": None, "d": None, "e": "first continued"}


def test_readme_values_table_is_up_to_date() -> None:
    readme = (CHART_DIR / "README.md").read_text(encoding="utf-8")
    assert readme == render_readme(readme), "run: python -m tests.helm.helmdocs"
    assert (CHART_DIR / "README.md.gotmpl").is_file()


def test_every_hub_variable_the_chart_names_is_a_hub_setting() -> None:
    texts = [p.read_text(encoding="utf-8") for p in [CHART_DIR / "values.yaml", *CI_VALUES, *TEMPLATES.iterdir()]]
    names = {n for text in texts for n in HUB_NAME.findall(text)}
    assert "HUB_BOOTSTRAP_SERVERS" in names
    unknown = sorted(n for n in names if setting_of(n) not in SETTINGS)
    assert unknown == [], f"not fields of hub.settings.HubSettings: {unknown}"


def test_every_config_value_maps_to_a_hub_setting_in_the_configmap() -> None:
    helpers = (TEMPLATES / "_helpers.tpl").read_text(encoding="utf-8")
    for key in values()["config"]:
        if key == "extraEnv":
            continue
        field = camel_to_snake(key)
        assert field in SETTINGS, f"config.{key} -> {field} is not a HubSettings field"
        assert re.search(rf'"HUB_{field.upper()}" \$c\.{key}\b', helpers), f"config.{key} is not put in the ConfigMap"


def test_secret_settings_never_come_from_plain_values() -> None:
    """Database URLs carry passwords: only secretKeyRef, never a value in the ConfigMap or values.yaml."""
    helpers = (TEMPLATES / "_helpers.tpl").read_text(encoding="utf-8")
    settings_block = helpers.split('define "grossisthub.settings"')[1].split("{{- end }}\n\n")[0]
    assert "DATABASE_URL" not in settings_block
    assert "DATABASE_URL" not in json.dumps(values()["config"])
    assert not any(p.name.startswith("secret") for p in TEMPLATES.iterdir()), "the chart creates no Secret"


ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.DOTALL)
OPENERS = ("if", "range", "with", "define", "block")


def template_problems(text: str) -> Iterator[str]:
    """Unbalanced {{ }} delimiters, or if/range/with/define/block without their end (and vice versa)."""
    stripped = re.sub(r"{{-?\s*/\*.*?\*/\s*-?}}", "", text, flags=re.DOTALL)  # {{/* comments */}}
    if stripped.count("{{") != stripped.count("}}"):
        yield f"{stripped.count('{{')} '{{{{' but {stripped.count('}}')} '}}}}'"
    depth = 0
    for match in ACTION.finditer(stripped):
        if "{{" in match[1]:
            yield f"nested delimiters in {match[0]!r}"
        word = match[1].split(maxsplit=1)[0] if match[1].strip() else ""
        if word in OPENERS:
            depth += 1
        elif word == "end":
            depth -= 1
            if depth < 0:
                yield f"'end' without an opening block near {match[0]!r}"
                depth = 0
        elif word == "else" and depth == 0:
            yield "'else' outside a block"
    if depth:
        yield f"{depth} block(s) never closed with {{{{ end }}}}"


@pytest.mark.parametrize("path", sorted(TEMPLATES.iterdir()), ids=lambda p: p.name)
def test_template_is_well_formed_go_template_text(path: Path) -> None:
    assert list(template_problems(path.read_text(encoding="utf-8"))) == []


def test_template_checker_finds_broken_templates() -> None:
    assert list(template_problems("{{ if .x }}a{{ end }}{{ range .y }}{{ .z }}{{ end }}")) == []
    assert list(template_problems("{{ if .x }}a"))
    assert list(template_problems("{{ .x }"))
    assert list(template_problems("a{{ end }}"))


def test_role_partitions_match_the_topic_registry() -> None:
    helpers = (TEMPLATES / "_helpers.tpl").read_text(encoding="utf-8")
    table = helpers.split('define "grossisthub.roles" -}}')[1].split("{{- end }}")[0]
    roles = yaml.safe_load(table)
    partitions = {t["name"]: t["partitions"] for t in load_yaml(PROJECT_ROOT / "schemas" / "topics.yaml")["topics"]}
    for key, role in roles.items():
        assert key in values(), f"role {key} has no values section"
        if role["kind"] == "worker":
            assert role["partitions"] == max(partitions[t] for t in role["topics"]), key


# --- rendered with Helm v4 (helm-python-sdk) and checked against the Kubernetes schema ------------------

try:  # optional: the always-run checks above must not depend on them
    import helm_python as helm
    import kubernetes_validate
except ImportError:  # pragma: no cover - depends on the environment
    helm = kubernetes_validate = None

ALL_ROLES = load_yaml(CHART_DIR / "ci" / "all-roles-values.yaml")
RELEASE, NAMESPACE = "hub", "edi"


@pytest.fixture(scope="module")
def chart() -> Iterator[Any]:
    if helm is None or kubernetes_validate is None:
        pytest.skip("helm-python-sdk and kubernetes-validate (dev extras) render and check the chart offline")
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


def render(chart: Any, override: dict[str, Any] | None = None) -> dict[str, str]:
    rendered: dict[str, str] = chart.render(override or {}, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return rendered


def documents(rendered: dict[str, str]) -> list[dict[str, Any]]:
    docs = []
    for name, text in rendered.items():
        if name.endswith("NOTES.txt"):
            continue
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def env_names(doc: dict[str, Any]) -> set[str]:
    spec = doc["spec"]["template"]["spec"]
    containers = spec["containers"] + spec.get("initContainers", [])
    return {e["name"] for c in containers for e in c.get("env", [])}


@pytest.fixture(scope="module", params=["default", "all-roles"])
def rendered(request: pytest.FixtureRequest, chart: Any) -> dict[str, str]:
    return render(chart, ALL_ROLES if request.param == "all-roles" else None)


def test_helm_lint_strict_passes(chart: Any) -> None:
    for override in ({}, ALL_ROLES):
        report = helm.lint(CHART_DIR, override, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
        problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
        assert problems == [], problems


def test_rendered_manifests_are_valid_kubernetes_objects(rendered: dict[str, str]) -> None:
    docs = documents(rendered)
    assert docs
    for doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):  # a CRD: not in the OpenAPI schema
            assert doc["kind"] in ("ServiceMonitor", "PodMonitor")
            endpoints = doc["spec"]["endpoints" if doc["kind"] == "ServiceMonitor" else "podMetricsEndpoints"]
            assert endpoints[0]["path"] == "/metrics"
            continue
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def test_default_install_runs_the_pipeline_roles_and_the_api(chart: Any) -> None:
    docs = documents(render(chart))
    deployments = {d["metadata"]["labels"]["app.kubernetes.io/component"] for d in docs if d["kind"] == "Deployment"}
    assert deployments == {
        "translator", "translator-bulk", "sink-erp", "sink-orders", "sink-catalog", "connectors", "api",
    }  # fmt: skip
    kinds = {d["kind"] for d in docs}
    assert kinds == {"ConfigMap", "Deployment", "Job", "PersistentVolumeClaim", "Service", "ServiceAccount"}


def test_all_roles_render_with_service_ingress_pdb_and_servicemonitor(chart: Any) -> None:
    docs = documents(render(chart, ALL_ROLES))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    assert len(by_kind["Deployment"]) == 9
    assert {s["metadata"]["name"] for s in by_kind["Service"]} == {
        f"{RELEASE}-grossisthub-{c}" for c in ("as2", "sftp-inbox", "api")
    }
    (ingress,) = by_kind["Ingress"]
    assert ingress["spec"]["tls"][0]["hosts"] == ["as2.grossist.example"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == f"{RELEASE}-grossisthub-as2"
    (pdb,) = by_kind["PodDisruptionBudget"]
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "as2"
    assert len(by_kind["ServiceMonitor"]) == 1
    (pods,) = by_kind["PodMonitor"]  # every other role's own /metrics, on its health port
    assert pods["spec"]["podMetricsEndpoints"][0]["port"] == "health"
    assert pods["spec"]["selector"]["matchExpressions"] == [
        {"key": "app.kubernetes.io/component", "operator": "NotIn", "values": ["api"]}
    ]
    assert "Secret" not in by_kind, "secrets come only through existingSecret references"
    assert "PersistentVolumeClaim" not in by_kind, "persistence.existingClaim is used as given"


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def test_every_hub_run_role_serves_health_on_its_pod_ip_and_is_probed_there(rendered: dict[str, str]) -> None:
    for doc in documents(rendered):
        if doc["kind"] != "Deployment":
            continue
        component, container = doc["metadata"]["labels"]["app.kubernetes.io/component"], _container(doc)
        env = {e["name"]: e.get("value") for e in container["env"]}
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        if component == "api":
            assert "HUB_ROLE_HTTP_PORT" not in env and "health" not in ports
            continue
        assert (env["HUB_ROLE_HTTP_HOST"], env["HUB_ROLE_HTTP_PORT"], ports["health"]) == ("$(POD_IP)", "9464", 9464)
        names = [e["name"] for e in container["env"]]
        assert names.index("POD_IP") < names.index("HUB_ROLE_HTTP_HOST")  # $(POD_IP) expands earlier variables only
        if component not in ("as2", "sftp-inbox"):  # those two are probed on the port they serve
            assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "health"}
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}


def test_role_health_off_means_no_health_port_and_no_probes_that_would_need_it(chart: Any) -> None:
    docs = documents(render(chart, {"roleHealth": {"enabled": False}}))
    for doc in (d for d in docs if d["kind"] == "Deployment"):
        container = _container(doc)
        assert "HUB_ROLE_HTTP_PORT" not in {e["name"] for e in container["env"]}
        if doc["metadata"]["labels"]["app.kubernetes.io/component"] != "api":
            assert "livenessProbe" not in container and "readinessProbe" not in container


def test_pollers_run_once_with_recreate(rendered: dict[str, str]) -> None:
    for doc in documents(rendered):
        if doc["kind"] == "Deployment" and doc["metadata"]["labels"]["app.kubernetes.io/component"] in (
            "connectors",
            "sftp-inbox",
        ):
            assert doc["spec"]["strategy"] == {"type": "Recreate"}
            assert doc["spec"]["replicas"] <= 1


def test_a_second_poller_is_refused_at_render_time(chart: Any) -> None:
    with pytest.raises(helm.HelmError, match=r"never run twice|replicaCount"):
        render(chart, {"connectors": {"replicaCount": 2}})


def test_grace_period_shorter_than_the_delivery_timeout_is_refused(chart: Any) -> None:
    with pytest.raises(helm.HelmError, match=r"terminationGracePeriodSeconds must be >="):
        render(chart, {"sinkErp": {"terminationGracePeriodSeconds": 10}})


def test_servicemonitor_needs_the_api(chart: Any) -> None:
    with pytest.raises(helm.HelmError, match=r"needs api\.enabled"):
        render(chart, {"serviceMonitor": {"enabled": True}, "api": {"enabled": False}})


def test_helm_applies_the_values_schema(chart: Any) -> None:
    chart.validate_schema(ALL_ROLES)
    with pytest.raises(helm.HelmError):
        chart.validate_schema({"config": {"bootstrapServers": ""}})


def test_every_hub_variable_in_the_output_is_a_hub_setting(rendered: dict[str, str]) -> None:
    names: set[str] = set()
    for doc in documents(rendered):
        if doc["kind"] == "ConfigMap":
            names |= set(doc["data"])
        elif doc["kind"] in ("Deployment", "Job"):
            names |= {n for n in env_names(doc) if n.startswith("HUB_")}
    assert {"HUB_BOOTSTRAP_SERVERS", "HUB_ERP_DATABASE_URL", "HUB_DATA_DIR", "HUB_PARTNERS_FILE"} <= names
    assert sorted(n for n in names if setting_of(n) not in SETTINGS) == []


def test_configmap_holds_no_secret_and_no_wildcard_bind(rendered: dict[str, str]) -> None:
    (configmap,) = [d for d in documents(rendered) if d["kind"] == "ConfigMap"]
    assert all(isinstance(v, str) for v in configmap["data"].values())
    assert not any("DATABASE_URL" in k for k in configmap["data"])
    assert "0.0.0.0" not in json.dumps(configmap["data"])
    assert "e+" not in json.dumps(configmap["data"]), "a large integer was rendered in float notation"


def test_every_pod_rolls_when_the_configmap_changes(rendered: dict[str, str]) -> None:
    configmap_text = rendered["grossisthub/templates/configmap.yaml"]
    checksum = hashlib.sha256(configmap_text.encode()).hexdigest()
    deployments = [d for d in documents(rendered) if d["kind"] == "Deployment"]
    for doc in deployments:
        assert doc["spec"]["template"]["metadata"]["annotations"]["checksum/config"] == checksum


def test_pods_get_settings_from_the_configmap_and_urls_from_the_secret(rendered: dict[str, str]) -> None:
    for doc in documents(rendered):
        if doc["kind"] != "Deployment":
            continue
        spec = doc["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": f"{RELEASE}-grossisthub-config"}}]
        secret_refs = [e for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})]
        assert {e["name"] for e in secret_refs} >= {"HUB_ERP_DATABASE_URL"}
        assert spec["terminationGracePeriodSeconds"] >= 30
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/var/lib/grossisthub", "/etc/grossisthub/partners", "/tmp", container["workingDir"]} <= mounts


def test_kafka_sasl_settings_go_to_the_configmap_and_the_password_only_to_the_secret(chart: Any) -> None:
    override = {
        "config": {"kafkaSecurityProtocol": "SASL_SSL", "kafkaSaslMechanism": "SCRAM-SHA-512",
                   "kafkaSaslUsername": "grossisthub", "kafkaSslCaFile": "/etc/kafka-ca/ca.pem"},
        "secrets": {"kafkaSaslPasswordKey": "kafka-password"},
    }  # fmt: skip
    docs = documents(render(chart, override))
    (config,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-config")]
    security = (
        "HUB_KAFKA_SECURITY_PROTOCOL",
        "HUB_KAFKA_SASL_MECHANISM",
        "HUB_KAFKA_SASL_USERNAME",
        "HUB_KAFKA_SSL_CA_FILE",
    )
    assert {k: config["data"].get(k) for k in security} == {
        "HUB_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "HUB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "HUB_KAFKA_SASL_USERNAME": "grossisthub", "HUB_KAFKA_SSL_CA_FILE": "/etc/kafka-ca/ca.pem",
    }  # fmt: skip
    for doc in (d for d in docs if d["kind"] in ("Deployment", "Job")):
        (container, *_) = doc["spec"]["template"]["spec"]["containers"]
        [password] = [e for e in container["env"] if e["name"] == "HUB_KAFKA_SASL_PASSWORD"]
        assert password["valueFrom"]["secretKeyRef"] == {"name": "grossisthub", "key": "kafka-password"}


def test_hook_job_migrates_then_applies_topics_before_install_and_upgrade(rendered: dict[str, str]) -> None:
    (job,) = [d for d in documents(rendered) if d["kind"] == "Job"]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    spec = job["spec"]["template"]["spec"]
    steps = [c["args"] for c in spec.get("initContainers", []) + spec["containers"]]
    assert steps == [["db", "upgrade"], ["topics", "apply"]]
    # hooks run before the release's ConfigMap and PVC exist: settings inline, no PVC
    for container in spec.get("initContainers", []) + spec["containers"]:
        assert "envFrom" not in container
        assert "HUB_BOOTSTRAP_SERVERS" in {e["name"] for e in container["env"]}
    assert not any("persistentVolumeClaim" in v for v in spec["volumes"])
    assert "serviceAccountName" not in spec


def test_api_listens_on_the_pod_network_by_explicit_value(chart: Any) -> None:
    docs = documents(render(chart, ALL_ROLES))
    (api,) = [
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["labels"]["app.kubernetes.io/component"] == "api"
    ]
    (container,) = api["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["api", "--host", "0.0.0.0", "--port", "8780"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"


def test_notes_warn_when_translators_exceed_partitions(chart: Any) -> None:
    notes = render(chart, {"translator": {"replicaCount": 8}})["grossisthub/templates/NOTES.txt"]
    assert "8 replicas but only 6 partitions in hub.raw.v1" in notes
    assert "WARNING" not in render(chart)["grossisthub/templates/NOTES.txt"]
