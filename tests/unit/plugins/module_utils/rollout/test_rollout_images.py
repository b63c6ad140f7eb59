"""Image references: parsing and the tag/digest policy."""
import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.images import image_problems, parse_image

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize("ref, expected", [
    ("r.example:5000/ml/chat:1.2", ("r.example:5000/ml/chat", "1.2", None)),
    ("r.example:5000/ml/chat", ("r.example:5000/ml/chat", None, None)),
    ("chat@" + DIGEST, ("chat", None, DIGEST)),
    ("r.example/chat:1@" + DIGEST, ("r.example/chat", "1", DIGEST)),
])
def test_parse_image(ref, expected):
    assert tuple(parse_image(ref)) == expected


@pytest.mark.parametrize("ref, allow_latest, require_digest, fragment", [
    ("r.example/chat:1.2", False, False, None),
    ("r.example/chat@" + DIGEST, False, True, None),
    ("r.example/chat:latest", True, False, None),
    ("r.example/chat:latest", False, False, "uses :latest"),
    ("r.example/chat", False, False, "no tag and no digest"),
    ("r.example/chat:1", False, True, "require_digest"),
    ("HTTP://r.example/chat:1", False, False, "not a valid image name"),
    ("", False, False, "non-empty string"),
    (42, False, False, "non-empty string"),
])
def test_image_policy(ref, allow_latest, require_digest, fragment):
    problem = image_problems(ref, allow_latest, require_digest)
    if fragment is None:
        assert problem is None
    else:
        assert fragment in problem
