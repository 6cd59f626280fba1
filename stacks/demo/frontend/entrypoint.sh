#!/bin/sh
# Writes the runtime configuration the static page reads, then runs the server (CMD).
set -eu
printf 'window.DEMO_CONFIG = { apiUrl: "%s" };\n' "$API_URL" > /srv/www/config.js
exec "$@"
