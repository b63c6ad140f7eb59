# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a release file and turn it into what the rollout playbook needs, or every problem with it."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.errors import ReleaseInvalid
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.plan import coverage_problems, plan_batches
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import (
    fingerprint, resolve_site, validate_release)

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
    HAS_YAML = False


if HAS_YAML:
    class DuplicateKey(yaml.YAMLError):
        def __init__(self, key: Any, line: int, first_line: int):
            super().__init__("line %d: duplicate key %r (first at line %d); YAML would keep only the last one"
                             % (line, key, first_line))
            self.line = line

    class UniqueKeyLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last silently,
        so a second `replicas:` would win unseen). Keys merged in with `<<` may still be overridden."""

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                first: Dict[Any, int] = {}
                for key_node, _value in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        if key in first:
                            raise DuplicateKey(key, key_node.start_mark.line + 1, first[key])
                        first[key] = key_node.start_mark.line + 1
                    except TypeError:  # unhashable: the base constructor names that error
                        break
            return super().construct_mapping(node, deep=deep)


def load_yaml(path: str) -> Any:
    """The one reader of release files."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return yaml.load(handle, Loader=UniqueKeyLoader)  # nosec B506 - a SafeLoader subclass
    except OSError as e:
        raise ReleaseInvalid(path, ["(file): cannot be read: %s" % e.strerror]) from e
    except DuplicateKey as e:
        raise ReleaseInvalid(path, ["(file): %s" % e]) from e
    except yaml.YAMLError as e:
        raise ReleaseInvalid(path, ["(file): is not valid YAML: %s" % str(e).replace("\n", " ")]) from e


def desired_fields(model: Dict[str, Any]) -> Dict[str, Any]:
    """What every site must run in the end, in the shape model_versions takes."""
    return {k: model[k] for k in ("name", "namespace", "version", "image")}


def journal_path(journal_dir: str, name: str, digest: str) -> str:
    return os.path.join(journal_dir, "%s-%s.json" % (name, digest[:12]))


def check_release_file(path: str, site_list: List[Dict[str, Any]], journal_dir: str,
                       fleet_sites: Optional[Dict[str, List[str]]] = None) -> Dict[str, Any]:
    """release, fingerprint, site_models, plan and journal path; ReleaseInvalid lists every problem.

    fleet_sites: every site of the inventory with its hosts; each must have exactly one kube_api host.
    """
    problems = ["(inventory): " + p for p in coverage_problems(site_list, fleet_sites or {})]
    sites: Dict[str, Dict[str, Any]] = {entry["name"]: dict(entry) for entry in site_list}
    release = validate_release(load_yaml(path), sites)
    problems += release.pop("problems")
    if problems:
        raise ReleaseInvalid(path, problems, release.get("name") if isinstance(release.get("name"), str) else None)
    digest = fingerprint(release)
    site_models = {name: resolve_site(release, name, info) for name, info in sites.items()}
    desired = [desired_fields(m) for m in release["models"]]
    return {
        "release": release,
        "fingerprint": digest,
        "site_models": site_models,
        # Sites where the release intends something else than `desired` (a pinned version, a model left off).
        "site_desired": {name: [desired_fields(m) for m in models] for name, models in site_models.items()
                         if [desired_fields(m) for m in models] != desired},
        "plan": plan_batches(release["policy"], sites),
        # What every site must run in the end, in the shape model_versions takes.
        "desired": desired,
        "journal": journal_path(journal_dir, release["name"], digest),
    }


def plan_summary(result: Dict[str, Any]) -> str:
    """`Release r (1 model(s)), on failure rollback_site: canary: eu -> wave 2: us; journal ...`"""
    release = result["release"]
    batches = " -> ".join("%s: %s" % (b["label"], ", ".join(b["sites"])) for b in result["plan"]["batches"])
    return "Release %s (%d model(s)), on failure %s%s: %s; journal %s" % (
        release["name"], len(release["models"]), release["policy"]["on_failure"],
        ", pause after %s" % release["policy"]["pause_after"] if release["policy"].get("pause_after") not in (None, "none") else "",
        batches, result["journal"])
