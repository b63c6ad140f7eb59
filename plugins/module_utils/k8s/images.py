# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: parse them and apply the deploy policy (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

# Grammar of the distribution reference spec: the one rule for release_check and model_deploy alike.
# An optional registry (domain, optional port) then path components; lower case only (no scheme).
_DOMAIN_PART = r"(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY_RE = re.compile(r"^(?:%s(?:\.%s)*(?::[0-9]+)?/)?%s(?:/%s)*$" % (_DOMAIN_PART, _DOMAIN_PART, _PATH_PART, _PATH_PART))
DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: Optional[str] = None
    digest: Optional[str] = None

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += ":" + self.tag
        if self.digest:
            text += "@" + self.digest
        return text


def parse_image(reference: str) -> ImageRef:
    """Split `registry:5000/org/name:tag@sha256:...` into its parts.

    A colon after the last slash is a tag; one before it is a registry port.
    Raises ValueError with the offending part.
    """
    text = (reference or "").strip()
    if not text or any(c.isspace() for c in text):
        raise ValueError("image reference %r is empty or contains spaces" % reference)
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not DIGEST_RE.match(digest):
            raise ValueError("digest %r is not of the form algorithm:hex" % digest)
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1:]
        if not TAG_RE.match(tag):
            raise ValueError("tag %r is not a valid image tag" % tag)
    if not text or text.endswith("/"):
        raise ValueError("image reference %r has no repository" % reference)
    if not REPOSITORY_RE.match(text):
        raise ValueError("repository %r is not a valid image name (lower case, no scheme)" % text)
    return ImageRef(repository=text, tag=tag, digest=digest)


def image_policy_violation(ref: ImageRef, allow_latest: bool, require_digest: bool) -> Optional[str]:
    """Why the image is refused, or None. A digest pins the content, so it satisfies both rules."""
    if ref.digest:
        return None
    if not allow_latest and not ref.tag:
        return "%r has no tag and no digest (it would float like :latest); pin a tag or a digest" % str(ref)
    if not allow_latest and ref.tag == "latest":
        return "%r uses :latest; pin a tag or a digest (or set allow_latest: true)" % str(ref)
    if require_digest:
        return ("%r has no @sha256 digest and digests are required (require_digest, true by default in a "
                "release's policy); pin a digest, or set require_digest: false to deploy by tag" % str(ref))
    return None


def image_problems(reference: object, allow_latest: bool, require_digest: bool) -> Optional[str]:
    """Why a reference as written in a release or a task is refused, or None when it is acceptable."""
    if not isinstance(reference, str) or not reference.strip():
        return "must be a non-empty string such as repo/name@sha256:<digest> or repo/name:<tag>"
    try:
        ref = parse_image(reference)
    except ValueError as e:
        return str(e)
    return image_policy_violation(ref, allow_latest, require_digest)


def same_image(desired: str, running: Optional[str]) -> bool:
    """Does the running image satisfy the desired one?

    A bare desired digest (`sha256:...`) matches any repository with that digest; a
    desired `repo@digest` matches that repository and digest whatever tag the running
    spec also names; otherwise the references must be equal.
    """
    if not running:
        return False
    if DIGEST_RE.match(desired):
        # A bare digest: any repository, as long as the content is the same.
        return running.endswith("@" + desired)
    try:
        want, have = parse_image(desired), parse_image(running)
    except ValueError:
        return desired == running
    if want.digest:
        return want.digest == have.digest and (want.repository == have.repository)
    return want == have
