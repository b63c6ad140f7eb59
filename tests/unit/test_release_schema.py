"""docs/release.schema.json (shipped for editors) agrees with release_check on every release fixture:
valid releases validate, structurally invalid ones are refused by both; what needs the inventory or
the image grammar is release_check's alone, and the schema must let those files through."""
import glob
import json
import os

import jsonschema
import pytest

from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release import validate_release
from ansible_collections.gpufleet.datacenter.plugins.module_utils.rollout.release_file import load_yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "releases")
SITES = {
    "eu": {"host": "api-eu", "wave": 1, "gpu_product": "NVIDIA-H100-80GB-HBM3"},
    "us": {"host": "api-us", "wave": 2, "gpu_product": "NVIDIA-H100-80GB-HBM3"},
    "apac": {"host": "api-apac", "wave": 3, "gpu_product": "NVIDIA-L40S"},
}
# Invalid for release_check, but not by their structure: each needs the inventory's sites, the
# image grammar (images.py, the one rule for images) or a comparison across models.
SEMANTIC = {
    "bad-digest.yml": "image grammar",
    "latest-image.yml": "image grammar",
    "untagged-image.yml": "image grammar",
    "require-digest.yml": "image grammar",
    "duplicate-model.yml": "across models",
    "unknown-canary.yml": "inventory",
    "unknown-override-site.yml": "inventory",
    "wave-missing-site.yml": "inventory",
    "wave-twice.yml": "inventory",
}
FILES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIXTURES, "*.yml")))


@pytest.fixture(scope="module")
def validator():
    with open(os.path.join(ROOT, "docs", "release.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def verdicts(validator, path):
    data = load_yaml(path)
    problems = validate_release(data, {k: dict(v) for k, v in SITES.items()})["problems"]
    schema_errors = [e.message for e in validator.iter_errors(data)]
    return problems, schema_errors


def test_the_fixtures_cover_both_kinds():
    assert "valid.yml" in FILES and set(SEMANTIC) <= set(FILES)
    assert len(set(FILES) - set(SEMANTIC) - {"valid.yml"}) >= 10


@pytest.mark.parametrize("name", FILES)
def test_schema_agrees_with_release_check(validator, name):
    problems, schema_errors = verdicts(validator, os.path.join(FIXTURES, name))
    if not problems:
        assert schema_errors == [], name
    elif name in SEMANTIC:
        assert schema_errors == [], (name, problems)
    else:
        assert schema_errors, (name, problems)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "releases", "*.yml"))))
def test_shipped_releases_validate(validator, path):
    problems, schema_errors = verdicts(validator, path)
    assert problems == [] and schema_errors == [], (problems, schema_errors)
