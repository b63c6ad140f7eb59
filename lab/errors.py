"""The one exception the lab raises; the CLI turns it into a message and exit status 1."""


class LabError(Exception):
    """Raised as ``Failed to <verb> <object> at site <site>: <cause>`` (site part optional)."""


def lab_error(verb_object: str, cause: object, site: str = "") -> LabError:
    where = f" at site {site}" if site else ""
    return LabError(f"Failed to {verb_object}{where}: {cause}")
