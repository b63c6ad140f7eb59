from __future__ import annotations

import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.images import (
    ImageRef,
    image_policy_violation,
    image_problems,
    parse_image,
    same_image,
)

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize("text, expected", [
    ("triton", ImageRef("triton")),
    ("triton:24.05", ImageRef("triton", "24.05")),
    ("registry:5000/serving/triton", ImageRef("registry:5000/serving/triton")),
    ("registry:5000/serving/triton:24.05", ImageRef("registry:5000/serving/triton", "24.05")),
    ("nvcr.io/nvidia/tritonserver@" + DIGEST, ImageRef("nvcr.io/nvidia/tritonserver", None, DIGEST)),
    ("nvcr.io/nvidia/tritonserver:24.05@" + DIGEST, ImageRef("nvcr.io/nvidia/tritonserver", "24.05", DIGEST)),
])
def test_parse_image(text, expected):
    assert parse_image(text) == expected
    assert str(parse_image(text)) == text


@pytest.mark.parametrize("text", ["", "a b", "triton:", "triton@sha256:xyz", "/:1", "triton:-bad"])
def test_parse_image_rejects(text):
    with pytest.raises(ValueError):
        parse_image(text)


@pytest.mark.parametrize("image, allow_latest, require_digest, refused", [
    ("triton:24.05", False, False, None),
    ("triton", False, False, "no tag"),
    ("triton:latest", False, False, ":latest"),
    ("triton:latest", True, False, None),
    ("triton", True, False, None),
    ("triton@" + DIGEST, False, False, None),
    ("triton:latest@" + DIGEST, False, False, None),
    ("triton:24.05", False, True, "require_digest"),
    ("triton:24.05@" + DIGEST, False, True, None),
])
def test_image_policy(image, allow_latest, require_digest, refused):
    violation = image_policy_violation(parse_image(image), allow_latest, require_digest)
    if refused is None:
        assert violation is None
    else:
        assert refused in violation and image.split("@")[0] in violation


@pytest.mark.parametrize("desired, running, same", [
    ("triton:24.05", "triton:24.05", True),
    ("triton:24.05", "triton:24.06", False),
    ("triton:24.05", None, False),
    ("triton@" + DIGEST, "triton:24.05@" + DIGEST, True),
    ("triton@" + DIGEST, "other@" + DIGEST, False),
    (DIGEST, "anything/at/all:1@" + DIGEST, True),
    (DIGEST, "triton:24.05", False),
])
def test_same_image(desired, running, same):
    assert same_image(desired, running) is same


@pytest.mark.parametrize("ref, allow_latest, require_digest, fragment", [
    ("r.example/chat:1.2", False, False, None),
    ("r.example/chat@" + DIGEST, False, True, None),
    ("r.example/chat:latest", True, False, None),
    ("r.example/chat:latest", False, False, "'r.example/chat:latest' uses :latest"),
    ("r.example/chat", False, False, "no tag and no digest"),
    ("r.example/chat:1", False, True, "require_digest"),
    ("HTTP://r.example/chat:1", False, False, "not a valid image name"),
    ("R.example/Chat:1", False, False, "not a valid image name"),
    ("r.example/chat@sha256:abc", False, False, "digest 'sha256:abc'"),
    ("", False, False, "non-empty string"),
    (42, False, False, "non-empty string"),
])
def test_image_problems_is_the_release_and_the_module_rule_alike(ref, allow_latest, require_digest, fragment):
    problem = image_problems(ref, allow_latest, require_digest)
    if fragment is None:
        assert problem is None
    else:
        assert fragment in problem, problem
    if isinstance(ref, str) and ref and problem is None:
        assert image_policy_violation(parse_image(ref), allow_latest, require_digest) is None
