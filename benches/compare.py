#!/usr/bin/env python3
"""Side-by-side benchmark: mls against Docker Compose v2 on the same stacks, in the same run.

usage: benches/compare.py [--runs N] [--warmup N] [--rows 1,2,...] [--json FILE] [--mls PATH]

Each row runs the two tools interleaved (A B A B ...) after a warm-up, on separate copies of the
stack with separate project names (so one tool's containers never look stale to the other), and
reports the median with min-max and the ratio mls/Compose. Peak RSS comes from wait4() of each
measured process. Timings on a shared 2-core machine are noisy: read the ratios, not the
absolute numbers.

Rows (see issue 5):
  1 config (demo stack, generated 200-service file)    5 dependency healthy -> dependent started
  2 ps, ps --format json on a running demo stack       6 build: nothing changed / one file edited
  3 up -d --wait, images present, no containers        7 down
  4 warm up -d --wait (all up, nothing changed)        8 cold up -d --wait, 50 services, 5 levels
  9 peak RSS during rows 3 and 8
"""
import argparse, calendar, json, os, shutil, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, cwd, env=None, check=True):
    """Runs a setup command (list); returns (seconds, stdout, stderr)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate()
    elapsed = time.perf_counter() - start
    if check and p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{err.decode()[-2000:]}")
    return elapsed, out.decode(), err.decode()


def measured(cmd, cwd, env=None):
    """Runs one measured command; returns (seconds, peak RSS kB)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    err = p.stderr.read().decode()
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"measured command failed ({code}): {' '.join(cmd)}\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss


class Tool:
    def __init__(self, name, argv, root, project):
        self.name, self.argv, self.root, self.project = name, argv, root, project

    def cmd(self, *args, files=None):
        out = list(self.argv)
        for f in files or []:
            out += ["-f", f]
        return out + ["-p", self.project] + list(args)


def gen_200(path):
    lines = ["services:"]
    for i in range(200):
        lines += [
            f"  svc{i:03d}:",
            "    image: mls/busybox:local",
            f"    command: [\"sh\", \"-c\", \"echo {i}; sleep 3600\"]",
            "    environment:",
            f"      INDEX: \"{i}\"",
            "      URL: http://svc-${HOST:-localhost}:8080/api",
            "    ports:",
            f"      - \"{20000 + i}:80\"",
            "    volumes:",
            f"      - data{i % 10}:/data",
            "      - ./conf:/conf:ro",
            "    healthcheck:",
            "      test: [\"CMD\", \"true\"]",
            "      interval: 1m30s",
            "    labels:",
            f"      tier: t{i % 5}",
        ]
        if i >= 10:
            lines += ["    depends_on:", f"      - svc{i - 10:03d}"]
    lines.append("volumes:")
    lines += [f"  data{j}: {{}}" for j in range(10)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def gen_50(path):
    """50 services in 5 dependency levels; each waits for two healthy services of the level above."""
    lines = ["services:"]
    for i in range(50):
        level = i // 10
        lines += [
            f"  s{i:02d}:",
            "    image: mls/busybox:local",
            "    command: [\"sleep\", \"3600\"]",
            "    init: true",
            "    healthcheck:",
            "      test: [\"CMD\", \"true\"]",
            "      interval: 1s",
        ]
        if level > 0:
            a, b = (level - 1) * 10 + i % 10, (level - 1) * 10 + (i + 1) % 10
            lines += ["    depends_on:"]
            for d in sorted({a, b}):
                lines += [f"      s{d:02d}:", "        condition: service_healthy"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def inspect(name):
    out = subprocess.run(["docker", "inspect", name], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


def ts(s):
    """The engine's RFC 3339 UTC timestamps (nanoseconds) -> Unix seconds."""
    s = s.rstrip("Z")
    base, _, frac = s.partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))


def dep_latency(project):
    """Seconds from backend's first passing probe to frontend's start, by the engine's clocks."""
    backend = inspect(f"{project}-backend-1")
    frontend = inspect(f"{project}-frontend-1")
    ok = [p for p in backend["State"]["Health"]["Log"] if p["ExitCode"] == 0]
    if not ok:
        return None
    return ts(frontend["State"]["StartedAt"]) - ts(ok[0]["End"])


def engine_start_floor(image, runs):
    """Seconds from a start request to the container's own StartedAt, for containers created
    ahead like a dependent (init, one published port): what the engine itself needs to start a
    container here, which no client can go below."""
    out = []
    for _ in range(runs):
        cid = subprocess.run(["docker", "create", "--init", "-p", "127.0.0.1::3000", image, "sleep", "60"],
                             capture_output=True, text=True, check=True).stdout.strip()
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect("/var/run/docker.sock")
            sent = time.time()
            s.sendall(f"POST /containers/{cid}/start HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
            while s.recv(4096):
                pass
            s.close()
            started = inspect(cid)["State"]["StartedAt"]
            out.append(ts(started) - sent)
        finally:
            subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
    return out


def api(method, path, body=None):
    """One request to the engine's socket (HTTP/1.0, so the answer is not chunked)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/var/run/docker.sock")
    data = json.dumps(body).encode() if body is not None else b""
    s.sendall(f"{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out.split(b"\r\n\r\n", 1)[1]


def fifty_floor(image):
    """Seconds for the ideal client on the 50-service stack: the containers are created ahead
    (not timed), then each is started the moment its two dependencies report healthy, with
    one thread per container and one event stream, nothing else. Only the engine's own work
    remains: starting containers and running the first probes (interval 1s)."""
    deps, ids = {}, {}
    for i in range(50):
        level = i // 10
        deps[i] = [] if level == 0 else sorted({(level - 1) * 10 + i % 10, (level - 1) * 10 + (i + 1) % 10})
        spec = {"Image": image, "Cmd": ["sleep", "3600"], "HostConfig": {"Init": True},
                "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1_000_000_000}}
        ids[i] = json.loads(api("POST", "/containers/create", spec))["Id"]
    healthy = {i: threading.Event() for i in ids}
    by_id = {cid: i for i, cid in ids.items()}
    ev = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ev.connect("/var/run/docker.sock")
    filters = urllib.parse.quote(json.dumps({"event": ["health_status"], "type": ["container"]}))
    ev.sendall(f"GET /events?filters={filters} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())

    def listen():
        buf = b""
        while not all(e.is_set() for e in healthy.values()):
            chunk = ev.recv(65536)
            if not chunk:
                return
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                line = line.strip()
                if line.startswith(b"{"):
                    msg = json.loads(line)
                    i = by_id.get(msg.get("id"))
                    if i is not None and msg.get("status", "").endswith(": healthy"):
                        healthy[i].set()

    def run(i):
        for d in deps[i]:
            healthy[d].wait()
        api("POST", f"/containers/{ids[i]}/start")

    time.sleep(0.5)  # the event stream is open before the first start
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    began = time.time()
    workers = [threading.Thread(target=run, args=(i,)) for i in ids]
    for w in workers:
        w.start()
    for e in healthy.values():
        e.wait(120)
    took = time.time() - began
    ev.close()
    for cid in ids.values():
        api("DELETE", f"/containers/{cid}?force=true")
    return took


def fmt(samples):
    if not samples:
        return "n/a"
    med = statistics.median(samples)
    unit, k = ("ms", 1000) if med < 10 else ("s", 1)
    return f"{med * k:.0f}{unit} ({min(samples) * k:.0f}-{max(samples) * k:.0f})" if unit == "ms" else \
        f"{med:.2f}s ({min(samples):.2f}-{max(samples):.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--rows", default="1,2,3,4,5,6,7,8,9")
    ap.add_argument("--json", default=os.path.join(REPO, "target", "bench-results.json"))
    ap.add_argument("--mls", default=os.path.join(REPO, "target", "release", "mls"))
    args = ap.parse_args()
    rows = {int(r) for r in args.rows.split(",")}

    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        peer = os.path.join(REPO, "..", "shared", "peers", "install-compose-v2")
        if not os.path.exists(peer):
            raise SystemExit("Docker Compose v2 is needed: install it (../shared/peers/install-compose-v2)")
        subprocess.run([peer], check=True)
    if not os.path.exists(args.mls):
        subprocess.run(["cargo", "build", "--release"], cwd=REPO, check=True)
    subprocess.run(["sh", os.path.join(REPO, "stacks/base/build.sh")], check=True)
    compose_version = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True).stdout.strip()

    work = tempfile.mkdtemp(prefix="mls-bench-")
    tools = []
    for i, (name, argv) in enumerate([("mls", [args.mls]), ("compose", ["docker", "compose"])]):
        root = os.path.join(work, name)
        shutil.copytree(os.path.join(REPO, "stacks/demo"), os.path.join(root, "demo"))
        os.makedirs(os.path.join(root, "big", "conf"))
        gen_200(os.path.join(root, "big", "compose.yaml"))
        os.makedirs(os.path.join(root, "fifty"))
        gen_50(os.path.join(root, "fifty", "compose.yaml"))
        tools.append(Tool(name, argv, root, f"mlsbench-{name}"))
    env = dict(os.environ)
    env.pop("COMPOSE_FILE", None)
    env.pop("COMPOSE_PROJECT_NAME", None)
    envs = {
        "mls": dict(env, BACKEND_PORT="18000", FRONTEND_PORT="13000"),
        "compose": dict(env, BACKEND_PORT="28000", FRONTEND_PORT="23000"),
    }

    results = {}   # row label -> tool -> list of seconds
    rss = {}       # row label -> tool -> list of kB
    latency = {t.name: [] for t in tools}
    floor = []     # seconds, engine start request -> StartedAt
    floor50 = []   # seconds, the ideal client on the 50-service stack (fifty_floor)

    def add(label, tool, secs, kb=None):
        results.setdefault(label, {}).setdefault(tool.name, []).append(secs)
        if kb is not None:
            rss.setdefault(label, {}).setdefault(tool.name, []).append(kb)

    def demo(t):
        return os.path.join(t.root, "demo")

    failures = {}  # row label -> why it stopped

    def loop(label, setup, measure, record=True):
        # A failed command ends its row, not the benchmark: the other rows are still reported.
        try:
            for i in range(args.warmup + args.runs):
                for t in tools:
                    if setup:
                        setup(t)
                    secs, kb = measure(t)
                    if i >= args.warmup and record:
                        add(label, t, secs, kb)
        except SystemExit as e:
            failures[label] = str(e).strip().splitlines()[-1][:300]
            print(f"  FAILED: {label}: {e}", file=sys.stderr, flush=True)
            return
        print(f"  done: {label}", file=sys.stderr, flush=True)

    def down(t, cwd=None, extra=()):
        sh(t.cmd("down", "-t", "0", *extra), cwd or demo(t), envs[t.name], check=False)

    try:
        for t in tools:  # images present for every row that needs them
            sh(t.cmd("build"), demo(t), envs[t.name])
        if 1 in rows:
            loop("config: demo stack", None, lambda t: measured(t.cmd("config"), demo(t), envs[t.name]))
            loop("config: 200 services", None,
                 lambda t: measured(t.cmd("config"), os.path.join(t.root, "big"), envs[t.name]))
        if rows & {3, 5, 9}:
            def cold(t):
                for each in tools:  # the other tool's stack would probe and load the engine
                    down(each)
            def up_wait(t):
                r = measured(t.cmd("up", "-d", "--wait"), demo(t), envs[t.name])
                d = dep_latency(t.project)
                if d is not None:
                    latency[t.name].append(d)
                return r
            loop("up -d --wait (images present, no containers)", cold, up_wait)
        if rows & {3, 5}:
            floor.extend(engine_start_floor("mls/busybox:local", args.runs * 2))
        if rows & {2, 4}:
            for t in tools:
                sh(t.cmd("up", "-d", "--wait"), demo(t), envs[t.name])
            if 4 in rows:
                loop("warm up -d --wait (nothing changed)", None,
                     lambda t: measured(t.cmd("up", "-d", "--wait"), demo(t), envs[t.name]))
            if 2 in rows:
                loop("ps", None, lambda t: measured(t.cmd("ps"), demo(t), envs[t.name]))
                loop("ps --format json", None,
                     lambda t: measured(t.cmd("ps", "--format", "json"), demo(t), envs[t.name]))
        if 6 in rows:
            loop("build: nothing changed", None, lambda t: measured(t.cmd("build"), demo(t), envs[t.name]))
            counter = [0]
            def edit(t):
                counter[0] += 1
                with open(os.path.join(demo(t), "backend", "www", "bench.txt"), "w") as f:
                    f.write(f"edit {counter[0]}\n")
            loop("build: one source file edited", edit,
                 lambda t: measured(t.cmd("build"), demo(t), envs[t.name]))
        if 7 in rows:
            loop("down", lambda t: sh(t.cmd("up", "-d", "--wait"), demo(t), envs[t.name]),
                 lambda t: measured(t.cmd("down"), demo(t), envs[t.name]))
        if rows & {8, 9}:
            fifty = lambda t: os.path.join(t.root, "fifty")
            loop("cold up -d --wait, 50 services in 5 levels",
                 lambda t: [down(each, fifty(each)) for each in tools],
                 lambda t: measured(t.cmd("up", "-d", "--wait"), fifty(t), envs[t.name]))
            for t in tools:
                down(t, fifty(t))
            floor50.extend(fifty_floor("mls/busybox:local") for _ in range(args.runs))
    finally:
        for t in tools:
            down(t, os.path.join(t.root, "fifty"), ("-v",))
            down(t, None, ("-v", "--rmi", "local"))
        shutil.rmtree(work, ignore_errors=True)

    # Report.
    table = []
    for label, by_tool in results.items():
        m, c = by_tool.get("mls", []), by_tool.get("compose", [])
        ratio = statistics.median(m) / statistics.median(c) if m and c else None
        table.append((label, fmt(m), fmt(c), ratio))
    if 5 in rows or 3 in rows:
        m, c = latency["mls"], latency["compose"]
        ratio = statistics.median(m) / statistics.median(c) if m and c else None
        table.append(("dependency healthy -> dependent started", fmt(m), fmt(c), ratio))
    for label, by_tool in rss.items():
        if label.startswith(("up -d", "cold up")):
            m, c = by_tool.get("mls", []), by_tool.get("compose", [])
            if m and c:
                table.append((f"peak RSS: {label}", f"{max(m) / 1024:.1f}MB", f"{max(c) / 1024:.1f}MB",
                              max(m) / max(c)))
    w = max([len(r[0]) for r in table] + [len(l) for l in failures] + [9])
    print(f"\nmls vs Docker Compose {compose_version}: median (min-max) of {args.runs} runs, interleaved, same machine\n")
    print(f"| {'operation':<{w}} | mls | Docker Compose | mls/Compose |")
    print(f"| {'-' * w} | --- | --- | --- |")
    for label, m, c, ratio in table:
        r = f"{ratio:.3f}" if ratio is not None else "n/a"
        print(f"| {label:<{w}} | {m} | {c} | {r} |")
    for label, why in failures.items():
        print(f"| {label:<{w}} | failed: {why} | | |")
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"compose_version": compose_version, "runs": args.runs,
                   "rows": [{"operation": l, "mls": m, "compose": c, "ratio": r} for l, m, c, r in table],
                   "samples": results, "rss_kb": rss, "failures": failures, "dependency_latency_s": latency,
                   "engine_start_floor_s": floor, "fifty_ideal_client_s": floor50}, f, indent=2)
    if floor:
        print(f"\nEngine floor for 'dependency healthy -> dependent started': a start request takes "
              f"{fmt(floor)} to the container's StartedAt on this engine (same run), for any client.")
    if floor50:
        print(f"Engine floor for the 50-service row: an ideal client (containers created ahead, each "
              f"started the moment its dependencies report healthy) takes {fmt(floor50)} (same run).")
    print(f"\nJSON: {args.json}")


if __name__ == "__main__":
    main()
