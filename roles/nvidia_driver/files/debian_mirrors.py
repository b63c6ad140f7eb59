"""Print, as JSON, the Debian mirrors this host's apt sources use for a release.

The nvidia_driver role adds components (contrib, non-free, ...) for the same
mirrors, so it needs each mirror's URI and the Signed-By value of its source
entry: apt refuses two entries for one URI and suite whose Signed-By differ.
apt itself says which entry serves a suite (`apt-get indextargets`); this script
only reads the Signed-By option of that entry. Read-only, standard library only.

Usage: debian_mirrors.py <release>     e.g. debian_mirrors.py bookworm
Output: {"archive": {"uri": ..., "signed_by": ...} | null, "security": {...} | null}
"""
import json
import re
import subprocess
import sys


def index_targets():
    """(release, component, repo_uri, 'file:entry') of every configured index."""
    out = subprocess.run(
        ["apt-get", "indextargets", "--no-release-info",
         "--format", "$(RELEASE)\t$(COMPONENT)\t$(REPO_URI)\t$(SOURCESENTRY)"],
        check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line.count("\t") == 3]


def deb822_stanzas(text):
    """Stanzas of a .sources file as {field_lower: value}, continuation lines kept."""
    stanzas, fields, key = [], {}, None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if fields:
                stanzas.append(fields)
            fields, key = {}, None
        elif line[0] in " \t" and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            fields[key] = value.strip()
    return stanzas


def one_line_signed_by(line):
    """signed-by of a one-line 'deb [opts] uri suite comps' entry, '' when absent."""
    match = re.match(r"^\s*deb(?:-src)?\s+\[([^\]]*)\]", line)
    if not match:
        return ""
    for opt in match.group(1).split():
        if opt.lower().startswith("signed-by="):
            return opt.split("=", 1)[1]
    return ""


def signed_by(entry):
    """Signed-By of the source entry apt names as '<file>:<n>'."""
    path, number = entry.rsplit(":", 1)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith(".sources"):
        # apt numbers deb822 entries by stanza, from 1
        return deb822_stanzas(text)[int(number) - 1].get("signed-by", "")
    # apt numbers one-line entries by line, from 1
    return one_line_signed_by(text.splitlines()[int(number) - 1])


def mirror(targets, suite):
    """The main-component mirror serving suite, with the Signed-By of its entry."""
    for release, component, uri, entry in targets:
        if release == suite and component == "main":
            return {"uri": uri, "signed_by": signed_by(entry)}
    return None


def main():
    release = sys.argv[1]
    targets = index_targets()
    print(json.dumps({"archive": mirror(targets, release),
                      "security": mirror(targets, release + "-security")}))


if __name__ == "__main__":
    main()
