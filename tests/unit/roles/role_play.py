"""Run a role's own tasks on localhost with another distribution's facts, and read the results.

The roles choose packages, repositories and templates from ansible_facts; here those facts are
given as extra vars (which outrank gathered ones), the play runs in check mode with diff (nothing
on this machine changes) and the JSON callback returns every task's result, including the text a
template would write.
"""
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# Facts as setup reports them on each platform the roles claim (the fields the roles read).
PLATFORMS = {
    "debian12": {"distribution": "Debian", "distribution_major_version": "12", "distribution_version": "12.11",
                 "distribution_release": "bookworm", "os_family": "Debian"},
    "ubuntu2204": {"distribution": "Ubuntu", "distribution_major_version": "22", "distribution_version": "22.04",
                   "distribution_release": "jammy", "os_family": "Debian"},
    "ubuntu2404": {"distribution": "Ubuntu", "distribution_major_version": "24", "distribution_version": "24.04",
                   "distribution_release": "noble", "os_family": "Debian"},
    "rhel9": {"distribution": "RedHat", "distribution_major_version": "9", "distribution_version": "9.6",
              "distribution_release": "Plow", "os_family": "RedHat"},
}


def facts_for(platform, **extra):
    facts = {"architecture": "x86_64", "kernel": "6.1.0-37-amd64", "virtualization_role": "host",
             "virtualization_type": "", "system": "Linux"}
    facts.update(PLATFORMS[platform])
    facts.update(extra)
    return facts


class PlayResult:
    def __init__(self, proc, data):
        self.proc = proc
        self.data = data
        self.tasks = [(t["task"]["name"], t["hosts"].get("localhost", {}))
                      for play in (data or {}).get("plays", []) for t in play["tasks"]]

    @property
    def failed(self):
        return self.proc.returncode != 0

    def result(self, name):
        """The result of the last task of that name that ran (not skipped)."""
        found = [r for n, r in self.tasks if self._named(n, name) and not r.get("skipped")]
        return found[-1] if found else None

    def names(self):
        return [n.split(" : ", 1)[-1] for n, _result in self.tasks]

    @staticmethod
    def _named(task_name, name):
        # Role tasks are reported as "<role FQCN> : <name>".
        return task_name.split(" : ", 1)[-1] == name

    def ran(self, name):
        assert name in self.names(), "no task named %r in the play" % name
        return self.result(name) is not None

    def failure_messages(self):
        return [r.get("msg", "") for _name, r in self.tasks if r.get("failed")]


def run_tasks(tmp_path, tasks, facts, extra_vars=None, check=True, inventory=None):
    """Run tasks (a list of task dicts) on localhost with these facts; returns a PlayResult.

    inventory: an inventory file whose other hosts and groups the role reads (localhost alone without)."""
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    extra = dict(extra_vars or {})
    extra["ansible_facts"] = facts
    extra["ansible_python_interpreter"] = sys.executable
    extra_file = tmp_path / "extra.json"
    extra_file.write_text(json.dumps(extra))
    # ansible-core 2.21 leaves `invocation` (the arguments a task ran with) out of task results unless
    # asked (INJECT_INVOCATION, default false); the tests read a task's arguments there on every
    # line, and the older lines, which always report it, ignore the variable.
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               ANSIBLE_INJECT_INVOCATION="true")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory or "localhost,"),
           str(playbook), "-e", "@" + str(extra_file)]
    if check:
        cmd += ["--check", "--diff"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        data = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError as exc:
        raise AssertionError("no JSON from ansible-playbook: " + proc.stdout + proc.stderr) from exc
    return PlayResult(proc, data)


def include_role(role, tasks_from="main", public=False):
    args = {"name": "gpufleet.datacenter." + role, "tasks_from": tasks_from}
    if public:
        args["public"] = True
    return {"name": "Run the role", "ansible.builtin.include_role": args}


def diff_after(result):
    """The text a template/copy task would write (check mode with diff)."""
    diffs = result.get("diff") or []
    if isinstance(diffs, dict):
        diffs = [diffs]
    return "".join(d.get("after", "") for d in diffs if isinstance(d.get("after", ""), str))
