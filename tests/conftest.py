"""Make the working tree importable as ansible_collections.gpufleet.datacenter."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, ".build")
link = os.path.join(BUILD, "ansible_collections", "gpufleet", "datacenter")
if not os.path.islink(link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(ROOT, link)
if BUILD not in sys.path:
    sys.path.insert(0, BUILD)

# ansible-core 2.18 has no ansible.module_utils.testing; the tests use its patch_module_args on
# every supported line (scripts/core-matrix.sh), so older lines get the same helper.
try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:
    import contextlib
    import json
    import types
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """What 2.19's helper does: expose args to AnsibleModule instances created inside."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield

    testing = types.ModuleType("ansible.module_utils.testing")
    testing.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = testing
