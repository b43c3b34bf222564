"""Run pip-audit against PyPI's own advisories, through a local stand-in for the OSV API.

Usage: pypi_advisories.py PIP-AUDIT-COMMAND...   (as `make audit` does)

pip-audit asks a vulnerability service about each pinned version. From our machines and CI
neither of its services answers: OSV (api.osv.dev) is out of reach, and PyPI answers only
`/pypi/<name>/json`, not the per-version `/pypi/<name>/<version>/json` that pip-audit's PyPI
service asks for, so every package comes back "not found". The project JSON PyPI does serve lists
the advisories (from OSV) against the project's latest release. This script serves that on
127.0.0.1 as OSV's `/v1/query` and points pip-audit at it (PIP_AUDIT_VULNERABILITY_SERVICE and
PIP_AUDIT_OSV_URL), so pip-audit's parsing, hash checks, output and --ignore-vuln work as usual.

What that feed cannot tell is which advisories hit an older release. A pinned version that is
not the latest therefore comes back as one finding, NOT-AUDITED-<name>-<version>, whose fix is
the latest release: upgrade it in the lock (`uv lock --upgrade-package NAME`), or, where an older
version is needed, ignore that finding in .ci/run and say why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/pypi"
TIMEOUT_SECONDS = 30


def project(name: str) -> dict[str, Any]:
    url = f"{PYPI}/{canonicalize_name(name)}/json"
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
        data: dict[str, Any] = json.load(response)
    return data


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def osv_record(name: str, advisory: dict[str, Any]) -> dict[str, Any]:
    """One entry of PyPI's `vulnerabilities` list as an OSV record pip-audit understands."""
    events: list[dict[str, str]] = [{"introduced": "0"}]
    events += [{"fixed": version} for version in advisory.get("fixed_in") or []]
    return {
        "id": advisory["id"],
        "aliases": advisory.get("aliases") or [],
        "summary": advisory.get("summary") or advisory.get("details") or advisory.get("link"),
        "withdrawn": advisory.get("withdrawn"),
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


def not_audited(name: str, version: str, latest: str) -> dict[str, Any]:
    return {
        "id": f"NOT-AUDITED-{name}-{version}",
        "summary": (
            f"{name} {version} is not the latest release ({latest}): the advisories reachable "
            f"here cover only the latest. Run `uv lock --upgrade-package {name}`."
        ),
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": latest}]}],
            }
        ],
    }


def query(name: str, version: str) -> dict[str, Any]:
    data = project(name)
    latest = str(data["info"]["version"])
    if not same_version(version, latest):
        return {"vulns": [not_audited(name, version, latest)]}
    # PyPI lists one advisory under each of its ids (PYSEC-..., GHSA-...): keep the first.
    seen: set[str] = set()
    vulns = []
    for advisory in data["vulnerabilities"]:
        ids = {advisory["id"], *(advisory.get("aliases") or [])}
        if not ids & seen:
            vulns.append(osv_record(name, advisory))
        seen |= ids
    return {"vulns": vulns}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        try:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answer = query(body["package"]["name"], body["version"])
        except (urllib.error.URLError, OSError, KeyError, ValueError) as error:
            # pip-audit then stops with an error: nothing passes unaudited.
            print(f"pypi_advisories: PyPI did not answer: {error}", file=sys.stderr)
            self.send_error(502)
            return
        content = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main(command: list[str]) -> int:
    if not command:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    environ = {
        **os.environ,
        "PIP_AUDIT_VULNERABILITY_SERVICE": "osv",
        "PIP_AUDIT_OSV_URL": f"http://127.0.0.1:{server.server_port}/v1/query",
    }
    try:
        return subprocess.run(command, env=environ, check=False).returncode
    finally:
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
