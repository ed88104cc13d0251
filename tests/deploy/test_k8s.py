"""deploy/k8s (issue #13) holds together without a Kubernetes cluster: every manifest is
decoded into msgspec Structs that model the Kubernetes (and CloudNativePG) fields we use,
with ``forbid_unknown_fields`` so a misspelt field (``readinesProbe``) fails here instead
of being ignored by the API server. This is a structural check of required fields and
types, not the full OpenAPI schema of Kubernetes (kubeconform is not available here);
then the cross-references an operator would otherwise find at deploy time: probes,
selectors, Secrets and keys that exist, each service given only its own Secret, every
AMPARO_* variable one the code reads, and the NATS users' permissions the code's."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal

import msgspec
import yaml

from shared.broker import service_permissions
from shared.config import SERVICES, Settings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


class S(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    pass


class Meta(S):
    name: str
    namespace: str
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class TemplateMeta(S):
    labels: dict[str, str]
    annotations: dict[str, str] = {}


class NameRef(S):
    name: str


class KeyRef(S):
    name: str
    key: str


class EnvSource(S):
    secretKeyRef: KeyRef | None = None
    configMapKeyRef: KeyRef | None = None


class EnvVar(S):
    name: str
    value: str | None = None
    valueFrom: EnvSource | None = None


class EnvFrom(S):
    configMapRef: NameRef | None = None
    secretRef: NameRef | None = None


class HTTPGet(S):
    path: str
    port: str | int


class Probe(S):
    httpGet: HTTPGet
    periodSeconds: int
    timeoutSeconds: int
    failureThreshold: int


class ContainerPort(S):
    containerPort: int
    name: str | None = None


class Resources(S):
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}


class Capabilities(S):
    drop: list[str]


class ContainerSecurity(S):
    allowPrivilegeEscalation: Literal[False]
    readOnlyRootFilesystem: bool
    capabilities: Capabilities


class VolumeMount(S):
    name: str
    mountPath: str
    readOnly: bool = False


class Container(S):
    name: str
    image: str
    command: list[str]
    securityContext: ContainerSecurity
    ports: list[ContainerPort] = []
    envFrom: list[EnvFrom] = []
    env: list[EnvVar] = []
    readinessProbe: Probe | None = None
    livenessProbe: Probe | None = None
    resources: Resources | None = None
    volumeMounts: list[VolumeMount] = []


class KeyToPath(S):
    key: str
    path: str


class SecretVolume(S):
    secretName: str
    items: list[KeyToPath] = []
    defaultMode: int | None = None


class Volume(S):
    name: str
    secret: SecretVolume | None = None
    configMap: NameRef | None = None
    emptyDir: dict | None = None


class PodSecurity(S):
    runAsNonRoot: Literal[True]
    runAsUser: int
    fsGroup: int | None = None


class PodSpec(S):
    containers: list[Container]
    securityContext: PodSecurity
    automountServiceAccountToken: Literal[False]
    volumes: list[Volume] = []
    terminationGracePeriodSeconds: int | None = None
    restartPolicy: str | None = None


class PodTemplate(S):
    metadata: TemplateMeta
    spec: PodSpec


class Selector(S):
    matchLabels: dict[str, str]


class RollingUpdate(S):
    maxUnavailable: int
    maxSurge: int


class Strategy(S):
    type: Literal["RollingUpdate"]
    rollingUpdate: RollingUpdate


class DeploymentSpec(S):
    replicas: int
    selector: Selector
    template: PodTemplate
    strategy: Strategy


class Deployment(S, tag_field="kind", tag="Deployment"):
    apiVersion: Literal["apps/v1"]
    metadata: Meta
    spec: DeploymentSpec


class ServicePort(S):
    name: str
    port: int
    targetPort: str | int


class ServiceSpec(S):
    selector: dict[str, str]
    ports: list[ServicePort]


class Service(S, tag_field="kind", tag="Service"):
    apiVersion: Literal["v1"]
    metadata: Meta
    spec: ServiceSpec


class ConfigMap(S, tag_field="kind", tag="ConfigMap"):
    apiVersion: Literal["v1"]
    metadata: Meta
    data: dict[str, str]


class Secret(S, tag_field="kind", tag="Secret"):
    apiVersion: Literal["v1"]
    metadata: Meta
    type: str
    stringData: dict[str, str]


class JobSpec(S):
    template: PodTemplate
    backoffLimit: int


class Job(S, tag_field="kind", tag="Job"):
    apiVersion: Literal["batch/v1"]
    metadata: Meta
    spec: JobSpec


class Peer(S):
    podSelector: Selector | None = None
    namespaceSelector: Selector | None = None


class PolicyPort(S):
    port: int


class IngressRule(S):
    from_: list[Peer] = msgspec.field(name="from")
    ports: list[PolicyPort] = []


class NetworkPolicySpec(S):
    podSelector: Selector
    policyTypes: list[Literal["Ingress", "Egress"]]
    ingress: list[IngressRule]


class NetworkPolicy(S, tag_field="kind", tag="NetworkPolicy"):
    apiVersion: Literal["networking.k8s.io/v1"]
    metadata: Meta
    spec: NetworkPolicySpec


class Storage(S):
    size: str


class PostgresParameters(S):
    parameters: dict[str, str]


class ClusterSpec(S):
    instances: int
    imageName: str
    minSyncReplicas: int
    maxSyncReplicas: int
    enableSuperuserAccess: bool
    superuserSecret: NameRef
    postgresql: PostgresParameters
    storage: Storage
    backup: dict  # CloudNativePG's barman settings: checked only for presence


class PgCluster(S, tag_field="kind", tag="Cluster"):
    apiVersion: Literal["postgresql.cnpg.io/v1"]
    metadata: Meta
    spec: ClusterSpec


Manifest = Deployment | Service | ConfigMap | Secret | Job | NetworkPolicy | PgCluster


def manifests() -> list[Manifest]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "nats-values.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            found.append(msgspec.convert(document, Manifest))
    return found


def of(kind) -> list:
    return [m for m in manifests() if isinstance(m, kind)]


def known_variables() -> set[str]:
    fields = {f.name for f in msgspec.structs.fields(Settings)}
    for service in (*SERVICES, "console"):
        spec = importlib.import_module(f"services.{service}.app").SPEC
        fields |= {f.name for f in msgspec.structs.fields(spec.config)}
    # `amparo migrate` (deploy/cli.py) reads the roles' passwords it sets.
    migrate = {f"AMPARO_{s.upper()}_DATABASE_PASSWORD" for s in (*SERVICES, "console")}
    return {f"AMPARO_{name.upper()}" for name in fields} | migrate


def test_every_manifest_decodes_into_its_kind():
    kinds = {type(m).__name__ for m in manifests()}
    assert kinds == {"Deployment", "Service", "ConfigMap", "Secret", "Job", "NetworkPolicy", "PgCluster"}


def test_each_process_is_a_probed_deployment_behind_a_service():
    deployments = {d.metadata.name: d for d in of(Deployment)}
    assert set(deployments) == {f"amparo-{s}" for s in (*SERVICES, "console")}
    services = {s.metadata.name: s for s in of(Service)}
    for name, deployment in deployments.items():
        spec = deployment.spec
        assert spec.replicas >= 2 and spec.strategy.rollingUpdate.maxUnavailable == 0
        assert spec.selector.matchLabels.items() <= spec.template.metadata.labels.items()
        (container,) = spec.template.spec.containers
        ports = {p.name: p.containerPort for p in container.ports}
        assert container.readinessProbe.httpGet.path == "/ready"
        assert container.livenessProbe.httpGet.path == "/health"
        assert (
            container.readinessProbe.httpGet.port in ports and container.livenessProbe.httpGet.port in ports
        )
        assert container.command[:2] == ["amparo", "serve"] and name == f"amparo-{container.command[2]}"
        assert container.command[-1] == str(ports["http"])
        annotations = spec.template.metadata.annotations
        assert annotations["prometheus.io/path"] == "/metrics" and annotations["prometheus.io/port"] == str(
            ports["http"]
        )
        service = services[name]
        assert service.spec.selector == spec.selector.matchLabels
        assert service.spec.ports[0].targetPort == "http"
        mounted = {v.name for v in spec.template.spec.volumes}
        assert {m.name for m in container.volumeMounts} <= mounted


def test_references_resolve_and_each_service_gets_only_its_own_secret():
    secrets = {s.metadata.name: s.stringData for s in of(Secret)}
    secrets["nats-client-tls"] = {"ca.crt": "", "tls.crt": "", "tls.key": ""}  # made by the operator's CA
    config_maps = {c.metadata.name: c.data for c in of(ConfigMap)}
    known = known_variables()
    for workload in [*of(Deployment), *of(Job)]:
        pod = workload.spec.template.spec
        (container,) = pod.containers
        used_secrets = set()
        for env in container.env:
            assert env.name in known, f"{workload.metadata.name}: {env.name} is read by no code"
            ref = env.valueFrom.secretKeyRef if env.valueFrom else None
            if ref:
                assert ref.key in secrets[ref.name], (workload.metadata.name, ref)
                used_secrets.add(ref.name)
        for source in container.envFrom:
            if source.configMapRef:
                assert set(config_maps[source.configMapRef.name]) <= known
            if source.secretRef:
                assert set(secrets[source.secretRef.name]) <= known
                used_secrets.add(source.secretRef.name)
        for volume in pod.volumes:
            if volume.secret:
                assert {i.key for i in volume.secret.items} <= set(secrets[volume.secret.secretName])
                used_secrets.add(volume.secret.secretName)
            if volume.configMap:
                assert volume.configMap.name in config_maps
        component = workload.metadata.name.removeprefix("amparo-")
        assert used_secrets <= {f"amparo-{component}", "nats-client-tls"}, (
            workload.metadata.name,
            used_secrets,
        )
    for service in SERVICES:
        assert f"{service}.keys" in secrets[f"amparo-{service}"]
        assert not any(
            f"{other}.keys" in secrets[f"amparo-{service}"] for other in SERVICES if other != service
        )


def test_postgres_is_replicated_synchronously_with_backups():
    (cluster,) = of(PgCluster)
    assert cluster.spec.instances >= 3 and cluster.spec.minSyncReplicas >= 1
    assert cluster.spec.superuserSecret.name in {s.metadata.name for s in of(Secret)}
    assert cluster.spec.backup["retentionPolicy"]


def test_the_network_policy_covers_every_pod():
    (policy,) = of(NetworkPolicy)
    for deployment in of(Deployment):
        assert policy.spec.podSelector.matchLabels.items() <= deployment.spec.template.metadata.labels.items()


def test_nats_values_carry_the_codes_users_route_auth_and_r3():
    values = yaml.safe_load((K8S / "nats-values.yaml").read_text())
    config = values["config"]
    assert config["cluster"]["enabled"] and config["cluster"]["replicas"] == 3
    assert config["cluster"]["routeURLs"]["user"] and config["cluster"]["routeURLs"]["password"]
    assert config["jetstream"]["merge"]["sync_interval"] == "always"
    users = {u["user"]: u for u in config["merge"]["authorization"]["users"]}
    assert set(users) == {*SERVICES, "console", "operator"}
    secrets = {s.metadata.name: s.stringData for s in of(Secret)}
    env = values["container"]["env"]
    for name, user in users.items():
        if name != "operator":
            assert user["permissions"] == service_permissions(name), name
        variable = user["password"].removeprefix("<< $").removesuffix(" >>")
        ref = env[variable]["valueFrom"]["secretKeyRef"]
        assert ref["key"] in secrets[ref["name"]]
    common = next(c for c in of(ConfigMap) if c.metadata.name == "amparo-common").data
    assert common["AMPARO_STREAM_REPLICAS"] == "3"


def test_a_misspelt_field_is_refused():
    document = next(
        d for d in yaml.safe_load_all((K8S / "services.yaml").read_text()) if d["kind"] == "Deployment"
    )
    container = document["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    try:
        msgspec.convert(document, Manifest)
    except msgspec.ValidationError as exc:
        assert "readinesProbe" in str(exc)
    else:
        raise AssertionError("a misspelt field was accepted")
