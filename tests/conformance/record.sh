#!/usr/bin/env bash
# Records the expected output of conformance cases from the reference, Docker Compose v2.
#
# usage: tests/conformance/record.sh CASE...   (case names or paths; default: every case)
#
# Each case runs as `docker compose $(cat cmd)` in its folder with a clean environment (PATH,
# HOME and the case's shell.env only), exactly as ../shared/conformance/run replays it.
#   exit 0, cmd has `--format json`  -> expected.json
#   exit 0, otherwise                -> expected.txt (byte-exact stdout)
#   non-zero exit                    -> expected-error.txt: the reference's message as comments,
#                                       then the fragments listed in the case's `error-fragments`
#                                       file (each checked to appear in the reference's output),
#                                       or the reference's first stderr line if there is none.
# The absolute case folder is written as ${CASE_DIR}. Nothing here is ever edited by hand.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || mapfile -t cases < <(ls "$here/cases")
version=$(docker compose version --short)
for c in "${cases[@]}"; do
  d=$c
  [ -d "$d" ] || d=$here/cases/$c
  d=$(cd "$d" && pwd)
  cmd=$(cat "$d/cmd")
  # --hash covers resolved absolute paths: hash cases run from one fixed folder, as the
  # runners replay them (src/compose/conformance_tests.rs, tests/integration/conformance.rs).
  src=$d
  if [[ " $cmd " == *" --hash "* ]]; then
    d=/tmp/mls-conformance/$(basename "$src")
    rm -rf "$d" && mkdir -p "$d" && cp -a "$src/." "$d/"
  fi
  envs=(PATH="$PATH" HOME="$HOME")
  if [ -f "$d/shell.env" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      [[ $line == *=* ]] && envs+=("$line")
    done < "$d/shell.env"
  fi
  out=$(mktemp) err=$(mktemp)
  set +e
  (cd "$d" && env -i "${envs[@]}" bash -c "docker compose $cmd" >"$out" 2>"$err")
  rc=$?
  set -e
  rm -f "$src/expected.json" "$src/expected.txt" "$src/expected-error.txt"
  norm() { python3 -c 'import sys; d=sys.argv[1]; sys.stdout.write(sys.stdin.read().replace(d, "${CASE_DIR}"))' "$d"; }
  if [ $rc -eq 0 ]; then
    if [[ " $cmd " == *" --format json "* ]]; then
      norm <"$out" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=2))' >"$src/expected.json"
      kind=expected.json
    else
      norm <"$out" >"$src/expected.txt"
      kind=expected.txt
    fi
  else
    msg=$(norm <"$err")
    {
      echo "# Loading must fail (non-zero exit). Every non-comment line below must appear in the output."
      echo "# docker compose $version printed:"
      printf '%s\n' "$msg" | sed 's/^/# /'
      if [ -f "$src/error-fragments" ]; then
        while IFS= read -r frag || [ -n "$frag" ]; do
          [ -n "$frag" ] || continue
          if [[ $msg != *"$frag"* ]]; then
            echo "record.sh: $c: fragment not in the reference's output: $frag" >&2
            exit 1
          fi
          printf '%s\n' "$frag"
        done < "$src/error-fragments"
      else
        printf '%s\n' "$msg" | head -n1
      fi
    } >"$src/expected-error.txt"
    kind="expected-error.txt (exit $rc)"
  fi
  rm -f "$out" "$err"
  echo "recorded $(basename "$src"): $kind"
done
