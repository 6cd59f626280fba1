#!/usr/bin/env bash
# Benchmark (not a test): mls watch vs Docker Compose v2 `watch` on copies of stacks/demo, in
# the same run, on the same machine.
#
#   1. median write→visible latency for a sync rule (file written on the host until the backend
#      serves it over HTTP), N samples each;
#   2. first-sync time when the user saves every 300 ms for 3 s (time from the first save until
#      any version is visible);
#   3. `mls build` with nothing changed vs `docker compose build` with nothing changed.
#
# Usage: benches/watch.sh [samples]   (needs docker, docker compose, python3, a built mls)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
MLS="${MLS:-$here/target/release/mls}"
[ -x "$MLS" ] || { (cd "$here" && cargo build --release -q); }
SAMPLES="${1:-20}"
sh "$here/stacks/base/build.sh" >/dev/null

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  (cd "$work/mls" && COMPOSE_PROJECT_NAME=bench-mls-$$ "$MLS" --progress quiet down -v -t 0 --rmi local >/dev/null 2>&1) || true
  (cd "$work/compose" && docker compose -p bench-compose-$$ down -v -t 0 --rmi local >/dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

setup() { # $1 = folder name; prints the backend port
  local dir="$work/$1"
  cp -r "$here/stacks/demo" "$dir"
  cat >"$dir/compose.override.yaml" <<'EOF'
services:
  backend:
    develop:
      watch:
        - path: ./backend/www
          target: /srv/www
          action: sync
EOF
}

setup mls
setup compose
MLS_BACKEND=$(free_port); MLS_FRONTEND=$(free_port)
DC_BACKEND=$(free_port); DC_FRONTEND=$(free_port)

echo "== bringing both stacks up" >&2
(cd "$work/mls" && COMPOSE_PROJECT_NAME=bench-mls-$$ BACKEND_PORT=$MLS_BACKEND FRONTEND_PORT=$MLS_FRONTEND \
  "$MLS" --progress quiet up -d --wait)
(cd "$work/compose" && BACKEND_PORT=$DC_BACKEND FRONTEND_PORT=$DC_FRONTEND \
  docker compose -p bench-compose-$$ up -d --build --wait --quiet-pull >/dev/null 2>&1)

echo "== no-op builds" >&2
time_cmd() { python3 - "$@" <<'EOF'
import subprocess, sys, time, statistics
runs = []
for _ in range(5):
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs.append(time.perf_counter() - t)
print(f"{statistics.median(runs) * 1000:.0f}")
EOF
}
(cd "$work/mls" && COMPOSE_PROJECT_NAME=bench-mls-$$ "$MLS" --progress quiet build >/dev/null 2>&1)
(cd "$work/compose" && docker compose -p bench-compose-$$ build >/dev/null 2>&1)
BUILD_MLS=$(cd "$work/mls" && COMPOSE_PROJECT_NAME=bench-mls-$$ time_cmd "$MLS" --progress quiet build)
BUILD_DC=$(cd "$work/compose" && time_cmd docker compose -p bench-compose-$$ build)

echo "== starting watchers" >&2
(cd "$work/mls" && COMPOSE_PROJECT_NAME=bench-mls-$$ BACKEND_PORT=$MLS_BACKEND FRONTEND_PORT=$MLS_FRONTEND \
  exec "$MLS" --progress plain watch --no-up >"$work/mls.log" 2>&1) &
pids+=($!)
(cd "$work/compose" && BACKEND_PORT=$DC_BACKEND FRONTEND_PORT=$DC_FRONTEND \
  exec docker compose -p bench-compose-$$ watch --no-up >"$work/compose.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 200); do
  grep -q "Watching" "$work/mls.log" 2>/dev/null && grep -qi "watch enabled" "$work/compose.log" 2>/dev/null && break
  sleep 0.1
done
sleep 1

measure() { # $1 = stack dir, $2 = port, $3 = samples; prints "median_ms first_sync_ms"
  python3 - "$@" <<'EOF'
import os, sys, time, statistics, urllib.request
root, port, samples = sys.argv[1], sys.argv[2], int(sys.argv[3])
www = os.path.join(root, "backend/www")
os.makedirs(os.path.join(www, "lat"), exist_ok=True)

def served(path, token):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
            return token in r.read().decode()
    except Exception:
        return False

def wait(path, token, limit=30.0):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        if served(path, token):
            return True
        time.sleep(0.005)
    return False

lat = []
for i in range(samples):
    token = f"tok-{os.getpid()}-{i}-{time.time_ns()}"
    path = f"/lat/f{i}.txt"
    t = time.perf_counter()
    with open(os.path.join(www, "lat", f"f{i}.txt"), "w") as f:
        f.write(token + "\n")
    if not wait(path, token):
        print("timeout", file=sys.stderr)
        lat.append(30.0)
    else:
        lat.append(time.perf_counter() - t)
    time.sleep(0.6)  # let each tool settle between samples

# Saves every 300 ms for 3 s; when does the first version become visible?
target = os.path.join(www, "steady.txt")
start = time.perf_counter()
first = None
n = 0
next_save = start
while time.perf_counter() - start < 10.0 and first is None:
    now = time.perf_counter()
    if now >= next_save and now - start < 3.0:
        with open(target, "w") as f:
            f.write(f"steady-{os.getpid()}-{n}\n")
        n += 1
        next_save += 0.3
    if served("/steady.txt", f"steady-{os.getpid()}-"):
        first = time.perf_counter() - start
    time.sleep(0.005)
print(f"{statistics.median(lat) * 1000:.0f} {(first if first is not None else float('nan')) * 1000:.0f}")
EOF
}

echo "== sync latency ($SAMPLES samples each)" >&2
read -r LAT_MLS FIRST_MLS < <(measure "$work/mls" "$MLS_BACKEND" "$SAMPLES")
read -r LAT_DC FIRST_DC < <(measure "$work/compose" "$DC_BACKEND" "$SAMPLES")

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
printf '\n%-44s %10s %10s %8s\n' "metric" "mls" "compose" "ratio"
printf '%-44s %8sms %8sms %8s\n' "sync write→visible, median" "$LAT_MLS" "$LAT_DC" "$(ratio "$LAT_MLS" "$LAT_DC")"
printf '%-44s %8sms %8sms %8s\n' "first sync, saving every 300 ms for 3 s" "$FIRST_MLS" "$FIRST_DC" "$(ratio "$FIRST_MLS" "$FIRST_DC")"
printf '%-44s %8sms %8sms %8s\n' "build, nothing changed (median of 5)" "$BUILD_MLS" "$BUILD_DC" "$(ratio "$BUILD_MLS" "$BUILD_DC")"
echo "(ratio = mls / compose; lower is better for mls)"
