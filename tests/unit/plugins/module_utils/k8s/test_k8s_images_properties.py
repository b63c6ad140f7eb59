"""Image references drawn from the distribution grammar parse into their parts and print back unchanged."""
from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

from ansible_collections.gpufleet.datacenter.plugins.module_utils.k8s.images import (
    ImageRef, image_problems, parse_image, same_image)

ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
component = st.builds(lambda parts, seps: parts[0] + "".join(s + p for s, p in zip(seps, parts[1:])),
                      st.lists(st.text(ALNUM, min_size=1, max_size=6), min_size=1, max_size=3),
                      st.lists(st.sampled_from([".", "_", "__", "-", "--"]), min_size=2, max_size=2))
host = st.builds(lambda labels, port: ".".join(labels) + (":%d" % port if port else ""),
                 st.lists(st.text(ALNUM, min_size=1, max_size=8), min_size=1, max_size=3),
                 st.one_of(st.none(), st.integers(1, 65535)))
repository = st.builds(lambda h, path: "/".join(([h] if h else []) + path),
                       st.one_of(st.none(), host), st.lists(component, min_size=1, max_size=3))
tag = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}\Z")
digest = st.builds(lambda algo, hexes: algo + ":" + hexes, st.sampled_from(["sha256", "sha512"]),
                   st.text("0123456789abcdef", min_size=64, max_size=64))
references = st.builds(ImageRef, repository, st.one_of(st.none(), tag), st.one_of(st.none(), digest))


@settings(deadline=None)
@given(references)
# Found by this test: a first path component with "__" was refused when no registry preceded it.
@example(ImageRef("my__org/chat", "1.0"))
def test_a_reference_parses_into_its_parts_and_prints_back_unchanged(ref):
    text = str(ref)
    parsed = parse_image(text)
    assert parsed == ref
    assert str(parsed) == text


@settings(deadline=None)
@given(references)
def test_a_pinned_reference_is_acceptable_and_runs_itself(ref):
    if ref.tag not in (None, "latest") or ref.digest:
        assert image_problems(str(ref), allow_latest=False, require_digest=bool(ref.digest)) is None
    assert same_image(str(ref), str(ref))


@settings(deadline=None)
@given(references, digest)
def test_a_digest_names_the_content_whatever_tag_runs_with_it(ref, other):
    pinned = ImageRef(ref.repository, None, other)
    assert same_image(str(pinned), str(ImageRef(ref.repository, ref.tag, other)))
    assert same_image(other, str(ImageRef(ref.repository, ref.tag, other)))
