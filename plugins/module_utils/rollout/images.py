# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container image references: split into repository, tag and digest, and judge them."""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

# Grammar from the distribution reference spec, reduced to what a release needs to judge.
_REPO = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class ImageRef(NamedTuple):
    repository: str
    tag: Optional[str]
    digest: Optional[str]


def parse_image(ref: str) -> ImageRef:
    """Split `repo[:tag][@digest]`; a port in the registry host is not a tag."""
    rest, digest = ref.partition("@")[::2]
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        return ImageRef(rest[:colon], rest[colon + 1:], digest or None)
    return ImageRef(rest, None, digest or None)


def image_problems(ref: object, allow_latest: bool, require_digest: bool) -> Optional[str]:
    """Why an image reference is refused, or None when it is acceptable."""
    if not isinstance(ref, str) or not ref.strip():
        return "must be a non-empty string such as repo/name@sha256:<digest> or repo/name:<tag>"
    if ref != ref.strip() or " " in ref:
        return "must not contain spaces, got %r" % ref
    image = parse_image(ref)
    if not _REPO.match(image.repository):
        return "repository %r is not a valid image name (lower case, no scheme)" % image.repository
    if image.digest is not None and not _DIGEST.match(image.digest):
        return "digest %r is not sha256:<64 hex digits>" % image.digest
    if image.tag is not None and not _TAG.match(image.tag):
        return "tag %r is not a valid image tag" % image.tag
    if require_digest and image.digest is None:
        return "policy.require_digest is set but %r has no @sha256 digest" % ref
    if image.digest is None and not allow_latest:
        if image.tag is None:
            return "%r has no tag and no digest (it would float like :latest); pin a tag or a digest" % ref
        if image.tag == "latest":
            return "%r uses :latest; pin a tag or a digest (or set allow_latest: true)" % ref
    return None
