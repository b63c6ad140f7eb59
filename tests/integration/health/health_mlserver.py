"""Start and stop a real MLServer on loopback for the model_health integration tests.

MLServer (PyPI `mlserver`, an Open Inference Protocol V2 server) runs from its own
venv, made by scripts/mlserver-venv.sh on first use. The model is a small
MLModel class written here, so no inference runtime or weights are involved.
These tests need neither the Kubernetes lab nor a GPU:
    .venv/bin/python -m pytest tests/integration/health -m mlserver
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VENV = Path(os.environ.get("MLSERVER_VENV", ROOT / ".cache" / "mlserver-venv"))
START_TIMEOUT = 180

MODEL_CODE = '''
from mlserver import MLModel
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput


class EchoModel(MLModel):
    """Answers every request with its own name and version."""

    async def load(self) -> bool:
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[ResponseOutput(name="ok", shape=[1], datatype="INT32", data=[1])],
        )
'''

# (directory, model name, version): one model at one version, one at two versions,
# as a server looks in the middle of a rollout.
MODELS = [("echo", "echo", "v1.2.0"), ("ranker-1", "ranker", "1"), ("ranker-2", "ranker", "2")]


@dataclass(frozen=True)
class MLServer:
    url: str
    pid: int
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_repository(root: Path, http_port: int) -> None:
    settings = {
        "host": "127.0.0.1",
        "http_port": http_port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        # In-process inference: no worker pool, so the server is one process we own.
        "parallel_workers": 0,
        "load_models_at_startup": True,
    }
    (root / "settings.json").write_text(json.dumps(settings))
    for directory, name, version in MODELS:
        d = root / directory
        d.mkdir()
        (d / "echo_model.py").write_text(MODEL_CODE)
        (d / "model-settings.json").write_text(
            json.dumps({"name": name, "implementation": "echo_model.EchoModel", "parameters": {"version": version}})
        )


def wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    paths = ["/v2/health/ready"] + ["/v2/models/%s/versions/%s/ready" % (n, v) for _dir, n, v in MODELS]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("MLServer exited with %s:\n%s" % (proc.returncode, log.read_text()[-4000:]))
        try:
            for p in paths:
                urllib.request.urlopen(url + p, timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("MLServer not ready at %s after %ss:\n%s" % (url, START_TIMEOUT, log.read_text()[-4000:]))


@contextmanager
def running_mlserver(mlserver_bin: Path, root: Path):
    """A plain-HTTP MLServer serving MODELS from `root`, stopped (by its process group) on exit."""
    port = free_port()
    write_repository(root, port)
    log = root / "mlserver.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(mlserver_bin), "start", str(root)], cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = "http://127.0.0.1:%d" % port
    try:
        wait_ready(url, proc, log)
        yield MLServer(url=url, pid=proc.pid, log=log)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    # The server runs in its own session: signal exactly that process group, by its id.
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# MLServer has no TLS setting of its own; its REST server is uvicorn, and this hook
# hands uvicorn its certificate. The server, its routes and its answers stay MLServer's.
TLS_LAUNCHER = '''
import asyncio
import sys

from mlserver import MLServer
from mlserver.cli.serve import load_settings


async def main(folder, certfile, keyfile):
    settings, models = await load_settings(folder)
    settings._custom_rest_server_settings = {"ssl_certfile": certfile, "ssl_keyfile": keyfile}
    await MLServer(settings).start(models)


asyncio.run(main(*sys.argv[1:]))
'''


def write_tls(root: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gpufleet test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = (root / "ca.pem", root / "cert.pem", root / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def wait_ready_tls(url: str, ca: Path, proc: subprocess.Popen, log: Path) -> None:
    import ssl

    context = ssl.create_default_context(cafile=str(ca))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("MLServer (TLS) exited with %s:\n%s" % (proc.returncode, log.read_text()[-4000:]))
        try:
            urllib.request.urlopen(url + "/v2/models/echo/versions/v1.2.0/ready", timeout=2, context=context).read()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("MLServer (TLS) not ready at %s after %ss:\n%s" % (url, START_TIMEOUT, log.read_text()[-4000:]))
