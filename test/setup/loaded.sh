#!/usr/bin/env bash
# `npm run test:loaded`: the whole suite (vitest run, after npm test's set-up step) while busy
# processes, two per CPU, load the host. Every test must pass as on an idle host: what a test asserts
# may not hang on how much CPU time the host gives the CPU workers. The busy processes are stopped on
# any exit (end, failure, Ctrl-C, TERM); each also stops by itself once this script is gone (kill -9).
# Arguments go to vitest (e.g. a test file).
set -u
cd "$(dirname "$0")/../.."

bash test/setup/ensure-chromium.sh || exit $?

cpus=$(node -p 'require("os").cpus().length')
n=$((2 * cpus))
busy_pids=()
vitest_pid=
stop() {
  [ ${#busy_pids[@]} -gt 0 ] && kill "${busy_pids[@]}" 2>/dev/null
  # interrupted: vitest stops its own workers
  [ -n "$vitest_pid" ] && kill -TERM "$vitest_pid" 2>/dev/null
  wait 2>/dev/null
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# a busy loop that looks every 10^7 iterations (a few ms) whether this script still runs
busy='const p = Number(process.argv[1]); for (let i = 1; ; i++) if (i % 1e7 === 0) { try { process.kill(p, 0); } catch { process.exit(0); } }'
for ((k = 0; k < n; k++)); do
  node -e "$busy" "$$" &
  busy_pids+=($!)
done
echo "test:loaded: $n busy processes load the host ($cpus CPUs)" >&2

start=$(date +%s)
# in the background, so that a signal to this script is handled at once (a trap waits for a
# foreground command to end)
node_modules/.bin/vitest run "$@" &
vitest_pid=$!
wait "$vitest_pid"
rc=$?
vitest_pid=
echo "test:loaded: vitest exited $rc after $(($(date +%s) - start)) s under load" >&2
exit $rc
