#!/usr/bin/env python3
"""The by-hand reference for bench/up.sh: what `coral up` does, done with
plain tools. `docker run --network none` for a notebook and three workers,
the same CNI chain (ptp + host-local + firewall + portmap) run plugin by
plugin, then wait until Jupyter answers on host port 8888 with its token.

  reference_up.py up   STATE_DIR   prints seconds until the notebook answered
  reference_up.py down STATE_DIR   removes everything `up` created
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

DOCKER = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"
PLUGIN_DIRS = ["/opt/cni/bin", "/usr/lib/cni"]
SUBNET, GATEWAY = "10.213.0.0/24", "10.213.0.1"
NODES = [("ref-notebook", "coral/notebook:latest", True)] + [
    (f"ref-worker-{i}", "coral/worker:latest", False) for i in (1, 2, 3)]


def conflist(state):
    return {
        "cniVersion": "0.4.0", "name": "calico",
        "plugins": [
            {"type": "ptp", "ipMasq": False,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": SUBNET, "gateway": GATEWAY}]],
                      "routes": [{"dst": "0.0.0.0/0", "gw": GATEWAY}],
                      "dataDir": os.path.join(state, "ipam")}},
            {"type": "firewall"},
            {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True},
        ]}


def plugin(kind):
    for d in PLUGIN_DIRS:
        if os.access(os.path.join(d, kind), os.X_OK):
            return os.path.join(d, kind)
    sys.exit(f"CNI plugin {kind} not found in {PLUGIN_DIRS}")


def run_chain(command, net, container_id, netns, ports, prev=None):
    plugins = net["plugins"] if command == "ADD" else list(reversed(net["plugins"]))
    result = prev
    for p in plugins:
        conf = {k: v for k, v in p.items() if k != "capabilities"}
        conf["name"], conf["cniVersion"] = net["name"], net["cniVersion"]
        if "capabilities" in p and ports:
            conf["runtimeConfig"] = {"portMappings": ports}
        if result is not None:
            conf["prevResult"] = result
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": container_id, "CNI_NETNS": netns,
               "CNI_IFNAME": "eth0", "CNI_PATH": ":".join(PLUGIN_DIRS), "PATH": os.environ["PATH"]}
        out = subprocess.run([plugin(p["type"])], input=json.dumps(conf).encode(), env=env,
                             capture_output=True)
        if out.returncode != 0 and command == "ADD":
            sys.exit(f"{p['type']} {command} failed: {out.stdout.decode()} {out.stderr.decode()}")
        if command == "ADD":
            result = json.loads(out.stdout)
    return result


def up(state):
    os.makedirs(state, exist_ok=True)
    token_file = os.path.join(state, "token")
    with open(token_file, "w") as f:
        f.write("referencetoken0123456789abcdef0123456789abcdef\n")
    os.chmod(token_file, 0o600)
    net = conflist(state)
    start = time.monotonic()
    subprocess.run(["ip", "route", "replace", "blackhole", SUBNET], check=True)
    ids = {}
    for name, image, notebook in NODES:
        args = [DOCKER, "run", "-d", "--init", "--network", "none", "--name", name, "--label",
                "coral.bench=reference"]
        if notebook:
            args += ["-v", f"{token_file}:/run/coral/notebook-token:ro"]
        ids[name] = subprocess.run(args + [image], check=True, capture_output=True,
                                   text=True).stdout.strip()
    results = {}
    for name, _, notebook in NODES:
        pid = subprocess.run([DOCKER, "inspect", "-f", "{{.State.Pid}}", ids[name]], check=True,
                             capture_output=True, text=True).stdout.strip()
        ports = [{"hostPort": 8888, "containerPort": 8888, "protocol": "tcp"}] if notebook else []
        results[name] = run_chain("ADD", net, ids[name], f"/proc/{pid}/ns/net", ports)
    with open(os.path.join(state, "results.json"), "w") as f:
        json.dump({"ids": ids, "results": results}, f)
    request = urllib.request.Request("http://127.0.0.1:8888/api/kernelspecs",
                                     headers={"Authorization": "token referencetoken0123456789abcdef0123456789abcdef"})
    deadline = start + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    print(f"{time.monotonic() - start:.3f}")
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("the reference notebook did not answer within 120 s")


def down(state):
    path = os.path.join(state, "results.json")
    if os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
        net = conflist(state)
        for name, _, notebook in NODES:
            ports = [{"hostPort": 8888, "containerPort": 8888, "protocol": "tcp"}] if notebook else []
            run_chain("DEL", net, saved["ids"][name], "", ports, saved["results"][name])
    subprocess.run([DOCKER, "rm", "-f"] + [n for n, _, _ in NODES], capture_output=True)
    subprocess.run(["ip", "route", "del", "blackhole", SUBNET], capture_output=True)
    subprocess.run(["rm", "-rf", state])


if __name__ == "__main__":
    {"up": up, "down": down}[sys.argv[1]](sys.argv[2])
