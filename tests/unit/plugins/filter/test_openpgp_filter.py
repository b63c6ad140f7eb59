"""openpgp_fingerprints against gpg's own fingerprints of a key made for the test."""
import os
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpufleet.datacenter.plugins.filter.openpgp import openpgp_fingerprints

GPG = shutil.which("gpg")


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    if GPG is None:
        pytest.skip("gpg is not installed (it makes the key the filter is compared against)")
    home = tmp_path_factory.mktemp("gnupg")
    os.chmod(home, 0o700)
    env = dict(os.environ, GNUPGHOME=str(home))
    subprocess.run([GPG, "--batch", "--passphrase", "", "--quick-gen-key", "test <test@example.invalid>",
                    "rsa2048", "sign", "never"], env=env, check=True, capture_output=True)
    listing = subprocess.run([GPG, "--batch", "--with-colons", "--fingerprint"], env=env, check=True,
                             capture_output=True, text=True).stdout
    primary = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")][0]
    subprocess.run([GPG, "--batch", "--passphrase", "", "--quick-add-key", primary, "rsa2048", "sign", "never"],
                   env=env, check=True, capture_output=True)
    listing = subprocess.run([GPG, "--batch", "--with-colons", "--fingerprint", "--fingerprint"], env=env, check=True,
                             capture_output=True, text=True).stdout
    expected = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]
    armored = subprocess.run([GPG, "--batch", "--armor", "--export", primary], env=env, check=True,
                             capture_output=True, text=True).stdout
    return armored, expected


def test_fingerprints_are_gpgs(key):
    armored, expected = key
    assert len(expected) == 2
    assert openpgp_fingerprints(armored) == expected


def test_armor_headers_are_skipped(key):
    armored, expected = key
    with_header = armored.replace("-----BEGIN PGP PUBLIC KEY BLOCK-----\n",
                                  "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: mirror copy\n", 1)
    assert openpgp_fingerprints(with_header) == expected


def test_a_changed_key_has_other_fingerprints(key):
    armored, expected = key
    lines = armored.splitlines()
    # Flip one base64 character inside the key material (line 5 is well inside the primary key).
    line = lines[5]
    lines[5] = ("B" if line[10] != "B" else "C").join((line[:10], line[11:]))
    assert openpgp_fingerprints("\n".join(lines))[0] != expected[0]


@pytest.mark.parametrize("text", ["", "not a key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----"])
def test_not_a_key_is_refused(text):
    with pytest.raises(AnsibleFilterError):
        openpgp_fingerprints(text)
