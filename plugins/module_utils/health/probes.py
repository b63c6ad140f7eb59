# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which HTTP requests a health gate makes, per protocol (pure).

Paths follow the Open Inference Protocol REST spec
(kserve/open-inference-protocol, specification/protocol/inference_rest.md) and
TensorFlow Serving's model status API (tensorflow/serving, g3doc/api_rest.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

PROTOCOLS = ("v2", "tfserving")


@dataclass(frozen=True)
class Probe:
    """One request of a health gate.

    required: the gate fails when this probe does not pass.
    A non-required probe only gathers diagnostics (served versions).
    """

    name: str
    method: str
    path: str
    required: bool = True
    body: dict | None = None


def _seg(value: str) -> str:
    # Model names and versions become path segments; a '/' in either must not
    # turn into another endpoint.
    return quote(str(value), safe="")


def v2_probes(model: str, version: str | None) -> list[Probe]:
    m = "/v2/models/%s" % _seg(model)
    versioned = m if version is None else "%s/versions/%s" % (m, _seg(version))
    probes = [
        Probe("server_live", "GET", "/v2/health/live"),
        Probe("server_ready", "GET", "/v2/health/ready"),
        Probe("model_ready", "GET", m + "/ready"),
        Probe("model_metadata", "GET", m),
    ]
    if version is not None:
        probes += [
            Probe("version_ready", "GET", versioned + "/ready"),
            Probe("version_metadata", "GET", versioned),
        ]
    # Model repository extension (Triton, MLServer): the only V2 call that lists
    # which versions are loaded; servers without it answer 4xx and we go without.
    probes.append(Probe("repository_index", "POST", "/v2/repository/index", required=False, body={}))
    return probes


def tfserving_probes(model: str, version: str | None) -> list[Probe]:
    m = "/v1/models/%s" % _seg(model)
    probes = [Probe("model_status", "GET", m)]
    if version is not None:
        probes.append(Probe("version_status", "GET", "%s/versions/%s" % (m, _seg(version))))
    return probes


def probes_for(protocol: str, model: str, version: str | None) -> list[Probe]:
    if protocol == "v2":
        return v2_probes(model, version)
    if protocol == "tfserving":
        return tfserving_probes(model, version)
    raise ValueError("unknown protocol %r, expected one of %s" % (protocol, ", ".join(PROTOCOLS)))


def join_url(base: str, path: str) -> str:
    # A base URL may carry a prefix (an ingress path such as /serving/eu); keep it.
    return base.rstrip("/") + path
