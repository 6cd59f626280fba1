#!/usr/bin/env sh
# Builds mls/busybox:local, the base image of the example stacks: FROM scratch plus Debian's
# static busybox with its applets installed as symlinks. Nothing is pulled from a registry.
# usage: stacks/base/build.sh [--force] [path-to-static-busybox]
# Quick and silent when the image already exists (unless --force).
# Also installs Debian's docker-registry when it is missing: the pull/push tests run it on
# 127.0.0.1 (nothing can be pulled from a public registry here).
set -eu
if ! [ -x /usr/bin/docker-registry ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing docker-registry (for the pull/push tests)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry >/dev/null; } ||
    echo "warning: could not install docker-registry; the registry tests will fail" >&2
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
