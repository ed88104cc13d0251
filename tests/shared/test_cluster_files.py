"""The multi-machine files hold the same rules as `make run` (finding 3): the cluster's
NATS users carry the permissions the code grants, routes need certificates, the monitor
listens on localhost only, and nats-server accepts the file."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploy.embedded import nats_binary
from deploy.natsconf import authorization

CLUSTER = Path(__file__).resolve().parents[2] / "deploy" / "cluster"


def test_the_cluster_nats_file_carries_the_generated_permissions():
    text = (CLUSTER / "nats-node.conf").read_text()
    assert text.endswith(authorization())
    assert "http: 127.0.0.1:8222" in text and "monitor_port" not in text
    assert "verify: true" in text.split("cluster {", 1)[1]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nats-1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_nats_server_accepts_the_cluster_file(tmp_path):
    cert, key = _self_signed(tmp_path)
    text = (CLUSTER / "nats-node.conf").read_text()
    for name in ("server", "route"):
        text = text.replace(f"/etc/nats/tls/{name}.pem", str(cert)).replace(
            f"/etc/nats/tls/{name}-key.pem", str(key)
        )
    text = text.replace("/etc/nats/tls/ca.pem", str(cert)).replace("/etc/nats/tls/route-ca.pem", str(cert))
    text = text.replace("/var/lib/nats/jetstream", str(tmp_path / "js"))
    conf = tmp_path / "nats.conf"
    conf.write_text(text)
    env = {"NODE_NAME": "nats-1"} | {
        f"NATS_{u}_PASSWORD": "x" * 20 for u in ("RISK", "SHELTERS", "FUNDS", "CONSOLE", "OPERATOR")
    }
    out = subprocess.run(
        [nats_binary(), "-t", "-c", str(conf)], env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stdout + out.stderr
