"""Coral helpers for notebooks running on a Coral cluster.

Talks to the Coral daemon's management API (standard library only):

    import coral
    coral.nodes()                 # table of the cluster's nodes
    coral.scale(4)                # ask for 4 workers
    coral.restart("worker-2")
    coral.logs("worker-2", tail=50)
    for event in coral.events():  # Server-Sent Events, as dicts
        print(event.event, event)
    coral.run("uptime")           # `ssh <node> uptime` on every running node

Configuration comes from the environment, read at each call:
    CORAL_API         the API's base URL, e.g. http://10.213.0.1:7480
    CORAL_TOKEN_FILE  a file holding the API's bearer token
    CORAL_TOKEN       the token itself (used when CORAL_TOKEN_FILE is unset)
or from coral.configure(api=..., token=...), which takes precedence.

Failures raise coral.ApiError with a message that says what to do.
Lists render as HTML tables in Jupyter and as plain-text tables elsewhere.
"""

import concurrent.futures
import html
import json
import os
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request

__all__ = [
    "ApiError",
    "Event",
    "Logs",
    "Record",
    "Table",
    "cluster",
    "configure",
    "events",
    "logs",
    "node",
    "nodes",
    "remove",
    "restart",
    "run",
    "scale",
]

DEFAULT_TIMEOUT = 30  # seconds, per API call


class ApiError(Exception):
    """An API call failed: `message` is the daemon's (or the client's) explanation."""

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.status = status  # HTTP status, None when no answer was received
        self.code = code  # the API's error code, e.g. "not_found"


# ---------------------------------------------------------------------------
# Configuration

_overrides = {"api": None, "token": None}


def configure(api=None, token=None):
    """Overrides CORAL_API and the token for this kernel (None: back to the environment)."""
    _overrides["api"] = api
    _overrides["token"] = token


def _api_url():
    url = _overrides["api"] or os.environ.get("CORAL_API", "")
    url = url.strip().rstrip("/")
    if not url:
        raise ApiError(
            "CORAL_API is not set: the notebook does not know where the Coral daemon is; "
            "set it (e.g. http://10.213.0.1:7480) or call coral.configure(api=...)"
        )
    if not url.startswith(("http://", "https://")):
        url = "http://" + url
    return url


def _token():
    if _overrides["token"] is not None:
        return _overrides["token"]
    path = os.environ.get("CORAL_TOKEN_FILE", "")
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except OSError as e:
            raise ApiError(
                f"cannot read the Coral API token from {path} (CORAL_TOKEN_FILE): "
                f"{e.strerror}; check that the file is mounted into the notebook"
            ) from None
    return os.environ.get("CORAL_TOKEN", "").strip()


# ---------------------------------------------------------------------------
# HTTP

# Cluster addresses must never go through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _error_from(status, raw):
    try:
        err = json.loads(raw.decode("utf-8", "replace"))["error"]
        return ApiError(str(err["message"]), status=status, code=err.get("code"))
    except (ValueError, KeyError, TypeError):
        text = raw.decode("utf-8", "replace").strip()[:200]
        return ApiError(f"HTTP {status}: {text}" if text else f"HTTP {status}", status=status)


def _open(method, path, body=None, timeout=DEFAULT_TIMEOUT, accept="application/json"):
    base = _api_url()
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Accept", accept)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    token = _token()
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        return _opener.open(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        with e:
            raise _error_from(e.code, e.read()) from None
    except urllib.error.URLError as e:
        reason = e.reason.strerror if isinstance(e.reason, OSError) and e.reason.strerror else e.reason
        if isinstance(e.reason, (socket.timeout, TimeoutError)):
            reason = f"no answer within {timeout}s"
        raise ApiError(
            f"cannot reach the Coral daemon at {base}: {reason}; is the cluster up "
            f"(`coral up` on the host) and is CORAL_API right?"
        ) from None
    except (socket.timeout, TimeoutError):
        raise ApiError(
            f"the Coral daemon at {base} did not answer {method} {path} within {timeout}s; "
            f"it may be busy or stuck: check its log, or retry"
        ) from None


def _call(method, path, body=None, timeout=DEFAULT_TIMEOUT):
    resp = _open(method, path, body, timeout)
    with resp:
        try:
            raw = resp.read()
        except (socket.timeout, TimeoutError):
            raise ApiError(
                f"the Coral daemon at {_api_url()} did not finish answering {method} {path} "
                f"within {timeout}s; retry"
            ) from None
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(
            f"the Coral daemon answered {method} {path} with something that is not JSON: "
            f"{raw[:200]!r}",
            status=resp.status,
        ) from None


def _quote(name):
    return urllib.parse.quote(str(name), safe="")


# ---------------------------------------------------------------------------
# Results that display well


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(p, dict) and "host" in p for p in value):
        # ports: [{"host": 8888, "container": 8888}]
        return ", ".join(f"{p.get('host')}->{p.get('container')}" for p in value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


# Known columns come first, in this order (JSON objects may arrive sorted).
_COLUMN_ORDER = ["name", "node", "role", "state", "ip", "host", "ports", "exit_code", "stdout",
                 "stderr"]


def _columns(rows):
    cols = []
    for row in rows:
        for key in row:
            if key not in cols:
                cols.append(key)
    known = [c for c in _COLUMN_ORDER if c in cols]
    return known + [c for c in cols if c not in known]


def _html_cell(text):
    text = html.escape(text)
    if "\n" in text:
        return f'<pre style="margin:0;text-align:left">{text}</pre>'
    return text


class Record(dict):
    """A dict (one node, the cluster, a run result) shown as a two-column table."""

    def _repr_html_(self):
        rows = "".join(
            f"<tr><th style=\"text-align:left\">{html.escape(str(k))}</th>"
            f"<td style=\"text-align:left\">{_html_cell(_cell_text(v))}</td></tr>"
            for k, v in self.items()
        )
        return f"<table>{rows}</table>"

    def __str__(self):
        if not self:
            return "(empty)"
        width = max(len(str(k)) for k in self)
        return "\n".join(f"{str(k).ljust(width)}  {_cell_text(v)}" for k, v in self.items())


class Table(list):
    """A list of dicts shown as a table (HTML in Jupyter, text elsewhere)."""

    def columns(self):
        return _columns(self)

    def _repr_html_(self):
        if not self:
            return "<p><em>(no rows)</em></p>"
        cols = self.columns()
        head = "".join(f'<th style="text-align:left">{html.escape(str(c))}</th>' for c in cols)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:left">{_html_cell(_cell_text(row.get(c)))}</td>'
                for c in cols
            )
            + "</tr>"
            for row in self
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __str__(self):
        if not self:
            return "(no rows)"
        cols = self.columns()

        def flat(row, c):
            text = _cell_text(row.get(c)).replace("\n", " | ")
            return text if len(text) <= 60 else text[:57] + "..."

        cells = [[flat(row, c) for c in cols] for row in self]
        widths = [max(len(str(c)), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
        lines = ["  ".join(str(c).upper().ljust(w) for c, w in zip(cols, widths)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
        return "\n".join(lines)

    def __repr__(self):
        return str(self)


class RunResults(Table):
    """Per-node results of run(): node, exit_code, stdout, stderr."""

    def ok(self):
        """True when every node exited 0."""
        return all(r.get("exit_code") == 0 for r in self)

    def __str__(self):
        if not self:
            return "(no nodes)"
        parts = []
        for r in self:
            parts.append(f"== {r['node']} (exit {r['exit_code']}) ==")
            if r["stdout"]:
                parts.append(r["stdout"].rstrip("\n"))
            if r["stderr"]:
                parts.append("[stderr] " + r["stderr"].rstrip("\n"))
        return "\n".join(parts)


class Logs(list):
    """Log lines of one node; shown as preformatted text."""

    def __init__(self, lines, node=None):
        super().__init__(lines)
        self.node = node

    def __str__(self):
        return "\n".join(str(line) for line in self)

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        title = f"<p><strong>{html.escape(str(self.node))}</strong></p>" if self.node else ""
        return f"{title}<pre>{html.escape(str(self))}</pre>"


class Event(dict):
    """One Server-Sent Event: its JSON data as a dict, plus .event and .id."""

    def __init__(self, data, event="message", id=None):
        super().__init__(data)
        self.event = event
        self.id = id

    def __repr__(self):
        return f"Event({self.event!r}, {dict.__repr__(self)})"


def _wrap(value):
    if isinstance(value, list):
        return Table(Record(v) if isinstance(v, dict) else Record(value=v) for v in value)
    if isinstance(value, dict):
        return Record(value)
    return value


def _node_list(value):
    if isinstance(value, dict) and isinstance(value.get("nodes"), list):
        value = value["nodes"]
    if not isinstance(value, list):
        raise ApiError(f"unexpected answer from GET /v1/nodes: {str(value)[:200]}")
    return Table(Record(v) for v in value)


# ---------------------------------------------------------------------------
# API


def cluster():
    """The cluster's description (GET /v1/cluster)."""
    return _wrap(_call("GET", "/v1/cluster"))


def nodes():
    """All nodes (GET /v1/nodes): name, role, state, ip, host, ports."""
    return _node_list(_call("GET", "/v1/nodes"))


_all_nodes = nodes  # run() has a parameter named `nodes`


def node(name):
    """One node (GET /v1/nodes/{name})."""
    return _wrap(_call("GET", f"/v1/nodes/{_quote(name)}"))


def scale(n):
    """Asks for `n` worker nodes (POST /v1/nodes {"workers": n})."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ApiError(f"scale() needs a number of workers >= 0, not {n!r}")
    return _wrap(_call("POST", "/v1/nodes", {"workers": n}))


def remove(name):
    """Removes one node (DELETE /v1/nodes/{name})."""
    return _wrap(_call("DELETE", f"/v1/nodes/{_quote(name)}"))


def restart(name):
    """Restarts one node (POST /v1/nodes/{name}/restart)."""
    return _wrap(_call("POST", f"/v1/nodes/{_quote(name)}/restart"))


def logs(name, tail=100):
    """The last `tail` log lines of a node (GET /v1/nodes/{name}/logs?tail=N)."""
    body = _call("GET", f"/v1/nodes/{_quote(name)}/logs?tail={int(tail)}") or {}
    return Logs(body.get("lines", []), node=body.get("node", name))


def events(timeout=None, since=None):
    """The cluster's events (GET /v1/events, Server-Sent Events), as an iterator of Event dicts.

    The stream is opened by this call, so every event that happens after it
    returns is seen: subscribe first, then act, then iterate. `since` (a
    sequence number, e.g. 0) first replays the recent events after it.
    Iterates until the daemon ends the stream, or forever; stop it with
    `break` or by interrupting the cell. `timeout` (seconds) bounds the wait
    for each piece of data; None waits as long as it takes.
    """
    path = "/v1/events"
    if since is not None:
        path += f"?since={int(since)}"
    resp = _open("GET", path, timeout=timeout, accept="text/event-stream")
    return _read_events(resp, timeout)


def _read_events(resp, timeout):
    try:
        name, data, last_id = "", [], None
        while True:
            try:
                raw = resp.readline()
            except (socket.timeout, TimeoutError):
                raise ApiError(f"no event from the Coral daemon within {timeout}s") from None
            if not raw:
                return  # the daemon closed the stream
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                if data:
                    text = "\n".join(data)
                    try:
                        value = json.loads(text)
                    except ValueError:
                        value = text
                    if not isinstance(value, dict):
                        value = {"data": value}
                    yield Event(value, name or "message", last_id)
                name, data = "", []
                continue
            if line.startswith(":"):
                continue  # comment / heartbeat
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                last_id = value
    finally:
        resp.close()


def _ssh(name, cmd, timeout):
    argv = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", name, cmd]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=timeout)
        return Record(node=name, exit_code=p.returncode, stdout=p.stdout, stderr=p.stderr)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Record(node=name, exit_code=None, stdout=out, stderr=f"timed out after {timeout}s")
    except OSError as e:
        return Record(node=name, exit_code=None, stdout="", stderr=f"cannot run ssh: {e.strerror}")


def run(cmd, nodes=None, timeout=60):
    """Runs `ssh <node> <cmd>` on every running node (or on the given names), in parallel.

    Returns one row per node, in order: node, exit_code (None when ssh timed
    out after `timeout` seconds or could not start), stdout, stderr.
    """
    if nodes is None:
        names = [n["name"] for n in _all_nodes() if n.get("state") == "running"]
    elif isinstance(nodes, str):
        names = [nodes]
    else:
        names = [n["name"] if isinstance(n, dict) else str(n) for n in nodes]
    if not names:
        return RunResults()
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(32, len(names))) as pool:
        return RunResults(pool.map(lambda name: _ssh(name, cmd, timeout), names))
