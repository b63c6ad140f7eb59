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


@pytest.mark.parametrize("text, message", [
    ("", "image reference '' is empty or contains spaces"),
    ("a b:1", "image reference 'a b:1' is empty or contains spaces"),
    ("triton@sha256:xyz", "digest 'sha256:xyz' is not of the form algorithm:hex"),
    ("triton:-bad", "tag '-bad' is not a valid image tag"),
    ("triton:", "tag '' is not a valid image tag"),
    (":1", "image reference ':1' has no repository"),
    ("r.example/:1", "image reference 'r.example/:1' has no repository"),
    ("r.example/Chat:1", "repository 'r.example/Chat' is not a valid image name (lower case, no scheme)"),
    # a colon before the last slash is no tag
    ("r.example/a:1/b", "repository 'r.example/a:1/b' is not a valid image name (lower case, no scheme)"),
    # everything after the first @ is the digest
    ("r.example/a@" + DIGEST + "@x", "digest '%s@x' is not of the form algorithm:hex" % DIGEST),
    (None, "image reference None is empty or contains spaces"),
])
def test_a_refused_reference_names_the_part_at_fault(text, message):
    with pytest.raises(ValueError) as err:
        parse_image(text)
    assert str(err.value) == message


def test_a_reference_is_read_without_surrounding_blanks_and_a_port_is_no_tag():
    assert parse_image("  r.example:5000/chat:1\n") == ImageRef("r.example:5000/chat", "1")
    assert parse_image("r.example:5000/chat") == ImageRef("r.example:5000/chat")
    assert parse_image("chat:" + "t" * 128).tag == "t" * 128
    assert str(ImageRef("chat", None, DIGEST)) == "chat@" + DIGEST


@pytest.mark.parametrize("image, allow_latest, require_digest, message", [
    ("r.example/chat", False, False,
     "'r.example/chat' has no tag and no digest (it would float like :latest); pin a tag or a digest"),
    ("r.example/chat:latest", False, True,
     "'r.example/chat:latest' uses :latest; pin a tag or a digest (or set allow_latest: true)"),
    ("r.example/chat:latest", True, True,
     "'r.example/chat:latest' has no @sha256 digest and digests are required (require_digest, true by default in "
     "a release's policy); pin a digest, or set require_digest: false to deploy by tag"),
    ("r.example/chat", True, True,
     "'r.example/chat' has no @sha256 digest and digests are required (require_digest, true by default in "
     "a release's policy); pin a digest, or set require_digest: false to deploy by tag"),
    ("r.example/chat:1", False, False, None),
    ("r.example/chat@" + DIGEST, False, True, None),
    (" ", False, False, "must be a non-empty string such as repo/name@sha256:<digest> or repo/name:<tag>"),
    (None, True, False, "must be a non-empty string such as repo/name@sha256:<digest> or repo/name:<tag>"),
])
def test_each_policy_refusal_says_how_to_fix_it(image, allow_latest, require_digest, message):
    assert image_problems(image, allow_latest, require_digest) == message


@pytest.mark.parametrize("desired, running, same", [
    ("triton:24.05@" + DIGEST, "triton@" + DIGEST, True),       # the digest decides, not the tag
    ("triton@" + DIGEST, "triton:24.05", False),
    ("triton@" + DIGEST, "triton@sha256:" + "cd" * 32, False),
    ("triton", "triton", True), ("triton", "triton:1", False),
    ("Not An Image", "Not An Image", True), ("Not An Image", "triton", False),   # unparsable: equal text only
    ("triton:1", "", False),
    (DIGEST, "triton@" + DIGEST + "0", False),
])
def test_same_image_edges(desired, running, same):
    assert same_image(desired, running) is same
