# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fingerprints of an OpenPGP key, read on the controller before the key is trusted on a host.

A signing key downloaded from the repository it signs proves nothing: the roles compare its
fingerprint with one pinned in their vars before they install it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from ansible.errors import AnsibleFilterError

PUBLIC_KEY_TAGS = (6, 14)  # primary key, subkey


def _dearmor(text):
    lines = [line.strip() for line in text.strip().splitlines()]
    try:
        start = lines.index("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    except ValueError as exc:
        raise AnsibleFilterError("openpgp_fingerprints: not an ASCII-armored public key block") from exc
    body = []
    for line in lines[start + 1:]:
        if line.startswith("-----END"):
            break
        if ":" in line or not line:
            continue  # armor headers ("Version: ...") and the blank line after them
        if line.startswith("="):
            break  # CRC24 checksum line
        body.append(line)
    try:
        return base64.b64decode("".join(body), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AnsibleFilterError("openpgp_fingerprints: the key's armor is not valid base64") from exc


def _packets(data):
    pos = 0
    while pos < len(data):
        header = data[pos]
        if not header & 0x80:
            raise AnsibleFilterError("openpgp_fingerprints: malformed packet at byte %d" % pos)
        if header & 0x40:  # new format
            tag = header & 0x3F
            first = data[pos + 1]
            if first < 192:
                length, pos = first, pos + 2
            elif first < 224:
                length, pos = ((first - 192) << 8) + data[pos + 2] + 192, pos + 3
            elif first == 255:
                length, pos = int.from_bytes(data[pos + 2:pos + 6], "big"), pos + 6
            else:
                raise AnsibleFilterError("openpgp_fingerprints: partial body lengths are not used in keys")
        else:  # old format
            tag = (header >> 2) & 0x0F
            size = {0: 1, 1: 2, 2: 4}.get(header & 0x03)
            if size is None:
                raise AnsibleFilterError("openpgp_fingerprints: indeterminate packet length")
            length, pos = int.from_bytes(data[pos + 1:pos + 1 + size], "big"), pos + 1 + size
        yield tag, data[pos:pos + length]
        pos += length


def openpgp_fingerprints(armored):
    """Upper-case hex fingerprints of the primary key and subkeys of an armored public key."""
    fingerprints = []
    for tag, body in _packets(_dearmor(armored)):
        if tag not in PUBLIC_KEY_TAGS or not body:
            continue
        version = body[0]
        if version == 4:
            digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest()
        elif version in (5, 6):
            prefix = b"\x9a" if version == 5 else b"\x9b"
            digest = hashlib.sha256(prefix + len(body).to_bytes(4, "big") + body).hexdigest()
        else:
            continue
        fingerprints.append(digest.upper())
    if not fingerprints:
        raise AnsibleFilterError("openpgp_fingerprints: the block holds no public key")
    return fingerprints


class FilterModule:
    def filters(self):
        return {"openpgp_fingerprints": openpgp_fingerprints}
