#!/usr/bin/env python3
"""Unit tests of the notebook's `coral` package against a fake API server.

Run by ctest as api_python_client (PYTHONPATH points at
images/notebook/python); also runnable directly.
"""

import http.server
import json
import os
import pathlib
import socket
import stat
import sys
import tempfile
import threading
import unittest

sys.dont_write_bytecode = True  # keep __pycache__ out of the image's source tree
ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "images" / "notebook" / "python"))

import coral  # noqa: E402

TOKEN = "tok-123"

NODES = [
    {"name": "notebook", "role": "notebook", "state": "running", "ip": "10.213.0.2",
     "host": "localhost", "ports": [{"host": 8888, "container": 8888}]},
    {"name": "worker-1", "role": "worker", "state": "running", "ip": "10.213.0.3",
     "host": "localhost", "ports": []},
    {"name": "worker-2", "role": "worker", "state": "running", "ip": "10.213.0.4",
     "host": "localhost", "ports": []},
    {"name": "worker-3", "role": "worker", "state": "stopped", "ip": "", "host": "localhost",
     "ports": []},
]


class FakeApi(http.server.BaseHTTPRequestHandler):
    """Answers like the Coral daemon; records every request on the server."""

    def log_message(self, *args):
        pass

    def _json(self, status, body):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, status, code, message):
        self._json(status, {"error": {"code": code, "message": message}})

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append({
            "method": self.command, "path": self.path, "headers": dict(self.headers),
            "body": body})
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self._error(401, "unauthorized", "the bearer token was not accepted")
        m, p = self.command, self.path
        if (m, p) == ("GET", "/v1/cluster"):
            return self._json(200, {"name": "demo", "workers": 2})
        if (m, p) == ("GET", "/v1/nodes"):
            return self._json(200, {"nodes": NODES} if self.server.wrap_nodes else NODES)
        if (m, p) == ("POST", "/v1/nodes"):
            workers = json.loads(body)["workers"]
            return self._json(202, {"workers": workers})
        if (m, p) == ("GET", "/v1/events"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(
                b": hello\n\n"
                b"id: 1\nevent: node\ndata: {\"name\": \"worker-1\", \"state\": \"running\"}\n\n"
                b"id: 2\nevent: node\ndata: {\"name\": \"worker-2\",\ndata:  \"state\": \"gone\"}\n\n"
                b"id: 3\ndata: [1, 2]\r\n\r\n")
            self.wfile.flush()
            return  # HTTP/1.0: the connection closes, ending the stream
        if m == "GET" and p == "/v1/nodes/worker-1/logs?tail=5":
            return self._json(200, {"node": "worker-1", "lines": ["one", "two <b>"]})
        if p.startswith("/v1/nodes/"):
            name = p[len("/v1/nodes/"):]
            if name.endswith("/restart") and m == "POST":
                return self._json(202, {"name": name[:-len("/restart")], "state": "restarting"})
            node = next((n for n in NODES if n["name"] == name), None)
            if name == "a%20b":
                node = {"name": "a b"}
            if node is None:
                return self._error(404, "not_found", f"no node named {name}; see coral.nodes()")
            if m == "GET":
                return self._json(200, node)
            if m == "DELETE":
                return self._json(200, {"removed": name})
        if p == "/v1/broken":
            raw = b"bad gateway\n"
            self.send_response(502)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return None
        return self._error(404, "not_found", f"no endpoint {p}")

    do_GET = do_POST = do_DELETE = _handle


FAKE_SSH = r"""#!/bin/sh
# fake ssh: ssh -o A -o B <name> <cmd>
while [ "$1" = "-o" ]; do shift 2; done
name=$1; cmd=$2
case "$name" in
  worker-2) echo "boom on $name" >&2; exit 3 ;;
  slow) sleep 5 ;;
  *) echo "$name: $cmd" ;;
esac
"""


class CoralClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
        cls.server.daemon_threads = True
        cls.server.requests = []
        cls.server.wrap_nodes = False
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.tmp = tempfile.TemporaryDirectory()
        token_file = pathlib.Path(cls.tmp.name, "token")
        token_file.write_text(TOKEN + "\n")
        ssh = pathlib.Path(cls.tmp.name, "bin", "ssh")
        ssh.parent.mkdir()
        ssh.write_text(FAKE_SSH)
        ssh.chmod(ssh.stat().st_mode | stat.S_IEXEC)
        cls.env = {
            "CORAL_API": f"http://127.0.0.1:{cls.server.server_address[1]}",
            "CORAL_TOKEN_FILE": str(token_file),
            # Cluster addresses must bypass proxies from the environment.
            "http_proxy": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "PATH": f"{ssh.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.tmp.cleanup()

    def setUp(self):
        self.saved = dict(os.environ)
        os.environ.update(self.env)
        os.environ.pop("CORAL_TOKEN", None)
        coral.configure()
        self.server.requests.clear()
        self.server.wrap_nodes = False

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.saved)

    def last(self):
        return self.server.requests[-1]

    def test_nodes_is_a_table_for_jupyter_and_text(self):
        nodes = coral.nodes()
        self.assertEqual([n["name"] for n in nodes], [n["name"] for n in NODES])
        self.assertEqual(self.last()["headers"]["Authorization"], "Bearer " + TOKEN)
        page = nodes._repr_html_()
        self.assertIn("<table>", page)
        self.assertIn("<th style=\"text-align:left\">name</th>", page)
        self.assertIn("worker-2", page)
        self.assertIn("8888-&gt;8888", page)
        text = str(nodes)
        self.assertEqual(text.splitlines()[0].split(), ["NAME", "ROLE", "STATE", "IP", "HOST", "PORTS"])
        self.assertIn("notebook  notebook  running  10.213.0.2  localhost  8888->8888", text)
        self.assertEqual(repr(nodes), text)

        # Known columns first, whatever order the JSON keys arrive in.
        sorted_keys = coral.Table([dict(sorted(n.items())) for n in NODES])
        self.assertEqual(sorted_keys.columns(), ["name", "role", "state", "ip", "host", "ports"])

        self.server.wrap_nodes = True  # {"nodes": [...]} is accepted too
        self.assertEqual(len(coral.nodes()), len(NODES))

    def test_node_cluster_and_name_quoting(self):
        n = coral.node("worker-1")
        self.assertEqual(n["ip"], "10.213.0.3")
        self.assertIn("<th style=\"text-align:left\">ip</th>", n._repr_html_())
        self.assertIn("10.213.0.3", str(n))
        self.assertEqual(coral.node("a b")["name"], "a b")
        self.assertEqual(self.last()["path"], "/v1/nodes/a%20b")
        self.assertEqual(coral.cluster()["name"], "demo")

    def test_scale_restart_remove(self):
        self.assertEqual(coral.scale(3)["workers"], 3)
        req = self.last()
        self.assertEqual((req["method"], req["path"]), ("POST", "/v1/nodes"))
        self.assertEqual(json.loads(req["body"]), {"workers": 3})
        self.assertEqual(req["headers"]["Content-Type"], "application/json")
        with self.assertRaises(coral.ApiError):
            coral.scale(-1)
        self.assertEqual(coral.restart("worker-2")["state"], "restarting")
        self.assertEqual((self.last()["method"], self.last()["path"]),
                         ("POST", "/v1/nodes/worker-2/restart"))
        self.assertEqual(coral.remove("worker-2")["removed"], "worker-2")
        self.assertEqual(self.last()["method"], "DELETE")

    def test_logs(self):
        lines = coral.logs("worker-1", tail=5)
        self.assertEqual(self.last()["path"], "/v1/nodes/worker-1/logs?tail=5")
        self.assertEqual(list(lines), ["one", "two <b>"])
        self.assertEqual(lines.node, "worker-1")
        self.assertEqual(str(lines), "one\ntwo <b>")
        self.assertIn("<pre>one\ntwo &lt;b&gt;</pre>", lines._repr_html_())

    def test_events_yields_dicts_in_order(self):
        got = list(coral.events())
        self.assertEqual(self.last()["headers"]["Accept"], "text/event-stream")
        self.assertEqual(len(got), 3)
        self.assertEqual(got[0], {"name": "worker-1", "state": "running"})
        self.assertEqual((got[0].event, got[0].id), ("node", "1"))
        self.assertEqual(got[1], {"name": "worker-2", "state": "gone"})  # two data: lines
        self.assertEqual(got[2], {"data": [1, 2]})
        self.assertEqual(got[2].event, "message")
        self.assertIsInstance(got[0], dict)

    def test_events_can_be_abandoned(self):
        stream = coral.events()
        self.assertEqual(next(stream)["name"], "worker-1")
        stream.close()

    def test_api_errors_carry_the_daemons_message(self):
        with self.assertRaises(coral.ApiError) as ctx:
            coral.node("nope")
        self.assertEqual(str(ctx.exception), "no node named nope; see coral.nodes()")
        self.assertEqual((ctx.exception.status, ctx.exception.code), (404, "not_found"))

        with self.assertRaises(coral.ApiError) as ctx:
            coral._call("GET", "/v1/broken")
        self.assertEqual(str(ctx.exception), "HTTP 502: bad gateway")

        coral.configure(token="wrong")
        with self.assertRaises(coral.ApiError) as ctx:
            coral.nodes()
        self.assertEqual(ctx.exception.code, "unauthorized")
        coral.configure()

    def test_configuration_errors(self):
        os.environ["CORAL_TOKEN_FILE"] = "/nonexistent/token"
        with self.assertRaises(coral.ApiError) as ctx:
            coral.nodes()
        self.assertIn("cannot read the Coral API token from /nonexistent/token", str(ctx.exception))

        del os.environ["CORAL_TOKEN_FILE"]
        os.environ["CORAL_TOKEN"] = TOKEN
        self.assertEqual(len(coral.nodes()), len(NODES))

        del os.environ["CORAL_API"]
        with self.assertRaises(coral.ApiError) as ctx:
            coral.nodes()
        self.assertIn("CORAL_API is not set", str(ctx.exception))

    def test_unreachable_daemon(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ["CORAL_API"] = f"http://127.0.0.1:{port}"
        with self.assertRaises(coral.ApiError) as ctx:
            coral.nodes()
        message = str(ctx.exception)
        self.assertTrue(message.startswith(f"cannot reach the Coral daemon at http://127.0.0.1:{port}: "),
                        message)
        self.assertIn("coral up", message)
        self.assertIsNone(ctx.exception.status)

    def test_run_on_every_running_node_in_parallel(self):
        results = coral.run("uptime")
        self.assertEqual([r["node"] for r in results], ["notebook", "worker-1", "worker-2"])
        by_node = {r["node"]: r for r in results}
        self.assertEqual(by_node["worker-1"]["exit_code"], 0)
        self.assertEqual(by_node["worker-1"]["stdout"], "worker-1: uptime\n")
        self.assertEqual(by_node["worker-2"]["exit_code"], 3)
        self.assertEqual(by_node["worker-2"]["stderr"], "boom on worker-2\n")
        self.assertFalse(results.ok())
        text = str(results)
        self.assertIn("== worker-2 (exit 3) ==\n[stderr] boom on worker-2", text)
        page = results._repr_html_()
        self.assertIn("<th style=\"text-align:left\">exit_code</th>", page)
        self.assertIn("worker-1: uptime", page)

    def test_run_on_given_nodes_with_timeout(self):
        results = coral.run("echo hi", nodes=["worker-1", "slow"], timeout=1)
        self.assertEqual([r["node"] for r in results], ["worker-1", "slow"])
        self.assertEqual(results[0]["stdout"], "worker-1: echo hi\n")
        self.assertIsNone(results[1]["exit_code"])
        self.assertEqual(results[1]["stderr"], "timed out after 1s")
        self.assertEqual(len(coral.run("true", nodes="worker-1")), 1)
        self.assertEqual(coral.run("true", nodes=[]), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
