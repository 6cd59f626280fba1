#!/bin/sh
# Smoke test for a running backend (not part of the image: see .dockerignore).
set -eu
url=${1:-http://127.0.0.1:8000}
wget -q -O- "$url/api/health" | grep -q '"status":"ok"'
wget -q -O- "$url/cgi-bin/status" | grep -q '"hits":'
echo "backend ok"
