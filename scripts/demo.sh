#!/usr/bin/env bash
# `npm run demo [-- --mode webhook|crd] [--keep]`: the real peers (built or reused), the demo's
# compile, then the demo itself (scripts/demo.ts). Every long step says what it does and for how
# long (scripts/progress.sh), so the first run, which builds the peers, is never silent.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=progress.sh
source scripts/progress.sh

bash scripts/peers.sh
echo "demo: compiling scripts/demo.ts and the registrar CLI (tsc -p tsconfig.demo.json)"
start=$SECONDS
with_progress "demo: compiling" tsc -p tsconfig.demo.json
echo "demo: compiled in $((SECONDS - start)) s"
exec node .tmp/demo-build/scripts/demo.js "$@"
