#!/usr/bin/env bash
# The WebGPU checks for a real GPU (issue 3): the conformance suite, `rr info`, the matmul benchmark
# against tfjs and the block benchmark, on whatever adapter Dawn picks there (the NVIDIA GPU through
# Vulkan on the lent H200 machine).
#
# Two halves, because the GPU machine has no Node.js and no registry:
#   here    ./scripts/setup.sh && bash tools/device/gpu-check.sh pack
#           packs Node, the Vulkan loader and the built workspace into .device/ (../shared/device/pack.sh)
#   there   the device tool: carry [".device"], timeout_s 540,
#           command "bash .device/run.sh 'bash tools/device/gpu-check.sh run'"
#           everything lands under $OUT (one JSON or log file per check) and the summary on stdout.
#   dry run here, on lavapipe: bash tools/device/gpu-check.sh run --quick (small benchmark sizes)
# A check that fails is reported and the others still run; the exit status counts the failures.
set -uo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/../.." && pwd))"

case "${1:-}" in
  pack)
    shared=${RR_SHARED:-../shared}
    [ -f "$shared/device/pack.sh" ] || { echo "gpu-check: $shared/device/pack.sh not found; set RR_SHARED to the shared folder." >&2; exit 2; }
    [ -f packages/cli/dist/bin.js ] || { echo "gpu-check: build first (./scripts/setup.sh or pnpm build)." >&2; exit 2; }
    exec bash "$shared/device/pack.sh"
    ;;
  run) ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

out=${OUT:-/tmp/rr-gpu-check}
mkdir -p "$out"
rr=(node packages/cli/dist/bin.js)
failures=0
check() { # name, timeout seconds, command...
  local name=$1 limit=$2; shift 2
  local began=$SECONDS
  if timeout "$limit" "$@" > "$out/$name.out" 2> "$out/$name.err"; then
    echo "ok    $name ($((SECONDS - began)) s)"
  else
    echo "FAIL  $name (exit $?, $((SECONDS - began)) s): $(tail -c 600 "$out/$name.err" | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
}

quick=${2:-}
if [ "$quick" = --quick ]; then matmul_sizes=256,512; large=(--dim 256 --seq 64 --batch 1 --steps 1); else matmul_sizes=512,1024,2048,4096; large=(--dim 2048 --heads 32 --kv-heads 4 --ffn 5632 --seq 1024 --batch 4); fi

check info 120 "${rr[@]}" info --json
# CI=true: a missing adapter fails the suite instead of skipping it
check conformance 300 env CI=true bash -c 'cd packages/kernels-webgpu && npx vitest run src/conformance.test.ts src/pool.test.ts --reporter=dot'
check bench-matmul 180 "${rr[@]}" bench matmul --backend webgpu --peer tfjs --sizes "$matmul_sizes" --seconds 1 --json
check bench-block 120 "${rr[@]}" bench block --backend webgpu --json
check bench-block-large 120 "${rr[@]}" bench block --backend webgpu "${large[@]}" --json

echo
echo "adapter: $(head -c 400 "$out/info.out")"
for f in bench-matmul bench-block bench-block-large; do echo "$f: $(head -c 1200 "$out/$f.out")"; done
echo "$failures check(s) failed; files in $out"
exit "$failures"
