# Sourced by scripts/peers.sh and scripts/demo.sh: long steps say what they wait for, and for how
# long, at least every PROGRESS_INTERVAL seconds (default 10), instead of going quiet.

# with_progress <what> <command...>: runs the command in the background and prints
# "<what>: N s so far" while it runs; returns the command's exit status.
with_progress() {
  local what=$1 start=$SECONDS interval=${PROGRESS_INTERVAL:-10} pid waited
  shift
  "$@" &
  pid=$!
  while true; do
    for ((waited = 0; waited < interval; waited++)); do
      kill -0 "$pid" 2>/dev/null || break 2
      sleep 1
    done
    echo "$what: $((SECONDS - start)) s so far"
  done
  wait "$pid"
}

# lock_with_progress <fd> <lock file> <what>: takes the flock on <fd>, printing who waits for what
# while another process holds it.
lock_with_progress() {
  local fd=$1 file=$2 what=$3 start=$SECONDS
  flock -n "$fd" && return 0
  echo "$what: another build holds $file; waiting"
  until flock -w "${PROGRESS_INTERVAL:-10}" "$fd"; do
    echo "$what: still waiting for $file ($((SECONDS - start)) s so far)"
  done
}
