"""A model's image policy holds along the whole path a release takes: release_check's validation,
the site's resolved model, the rollout step's model_deploy parameters and the manifests built from
them. `allow_latest: true` lets a floating tag through everywhere; `repo:tag@sha256:...` (a tag
for people, a digest for the content) is accepted everywhere, require_digest included."""
from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.exceptions import PolicyError
from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.manifests import build_manifests
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import resolve_site, validate_release
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.site import deploy_params

DIGEST = "sha256:" + "4f" * 32
LATEST = "registry.example.com/ml/chat:latest"
TAG_AND_DIGEST = "registry.example.com/ml/chat:2.1.0@" + DIGEST


def release_with(load_release, sites, image, allow_latest=None, require_digest=False, override=None):
    data = load_release("valid.yml")
    chat = data["models"][0]
    chat["image"] = image
    if allow_latest is not None:
        chat["allow_latest"] = allow_latest
    if override:
        chat["sites"]["apac"]["image"] = override
    data["policy"]["require_digest"] = require_digest
    data["models"] = [chat]
    return validate_release(data, sites)


def manifests_at(release, site, site_info):
    chat = resolve_site(release, site, site_info)[0]
    params = dict(deploy_params(chat, release["policy"], 60), site=site, service=True, service_type="ClusterIP")
    return chat, params, build_manifests(params, site)


def test_allow_latest_lets_a_latest_image_through_to_the_manifest(load_release, sites):
    release = release_with(load_release, sites, LATEST, allow_latest=True)
    assert release["problems"] == []
    for name, info in sites.items():
        chat, params, manifests = manifests_at(release, name, info)
        assert chat["allow_latest"] is True and params["allow_latest"] is True
        assert manifests["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"] == LATEST


def test_allow_latest_covers_a_sites_own_image(load_release, sites):
    release = release_with(load_release, sites, "registry.example.com/ml/chat:2.1.0", allow_latest=True,
                           override=LATEST)
    assert release["problems"] == []
    _chat, _params, manifests = manifests_at(release, "apac", sites["apac"])
    assert manifests["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"] == LATEST


@pytest.mark.parametrize("allow_latest", [None, False])
def test_without_allow_latest_a_latest_image_is_refused_by_the_release_and_the_module(load_release, sites, allow_latest):
    release = release_with(load_release, sites, LATEST, allow_latest=allow_latest)
    assert any(":latest" in p for p in release["problems"]), release["problems"]
    params = dict(deploy_params(dict(release["models"][0], gpu_product=None), release["policy"], 60), site="eu")
    with pytest.raises(PolicyError, match=":latest"):
        build_manifests(params, "eu")


@pytest.mark.parametrize("require_digest", [False, True])
def test_tag_and_digest_is_accepted_and_kept_whole(load_release, sites, require_digest):
    release = release_with(load_release, sites, TAG_AND_DIGEST, require_digest=require_digest)
    assert release["problems"] == []
    chat, params, manifests = manifests_at(release, "eu", sites["eu"])
    assert chat["image"] == TAG_AND_DIGEST and params["require_digest"] is require_digest
    assert manifests["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"] == TAG_AND_DIGEST


def test_require_digest_still_refuses_a_tag_alone(load_release, sites):
    release = release_with(load_release, sites, "registry.example.com/ml/chat:2.1.0", require_digest=True)
    assert any("require_digest" in p for p in release["problems"]), release["problems"]
