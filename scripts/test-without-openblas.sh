#!/usr/bin/env bash
# Runs unit tests (default: the native kernels' and the backend's tests; any vitest arguments
# instead; --full: the unit and integration projects) as on a machine without OpenBLAS and oneDNN: in
# a private mount namespace where every folder holding the BLAS libraries the addon would open
# (Debian: /usr/lib/<arch>/openblas-pthread, reached through /etc/alternatives) is covered by an empty
# tmpfs and each libdnnl file by an empty file. Nothing changes outside this process. Needs root
# (or CAP_SYS_ADMIN) for unshare; CI runs it after `npm test` so that both paths are tested.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${DELTASCOPE_BLAS_HIDDEN:-}" != 1 ]; then
  exec unshare --mount --propagation private env DELTASCOPE_BLAS_HIDDEN=1 "$0" "$@"
fi

hidden=0
for lib in /usr/lib/*/libopenblas*.so* /usr/lib64/libopenblas*.so* /usr/lib/*/libblas.so.3 /usr/lib64/libblas.so.3; do
  [ -e "$lib" ] || continue
  dir="$(dirname "$(readlink -f "$lib")")"
  case "$(basename "$dir")" in
    *blas*) ;;
    *)
      echo "error: $lib lives in $dir, a folder shared with other libraries; hide it another way" >&2
      exit 1
      ;;
  esac
  if ! grep -q " $dir tmpfs " /proc/self/mounts; then
    mount -t tmpfs -o ro tmpfs "$dir"
    echo "== hid $dir ($(basename "$lib"))"
  fi
  hidden=$((hidden + 1))
done
# oneDNN shares its folder with every other library: each of its files is covered by an empty file
# (dlopen then fails as on a machine without it).
for lib in /usr/lib/*/libdnnl.so* /usr/lib64/libdnnl.so*; do
  [ -e "$lib" ] || continue
  [ -s "$lib" ] || continue
  mount --bind /dev/null "$lib"
  echo "== hid $lib"
done
if ls /usr/lib/*/libopenblas.so.0 /usr/lib64/libopenblas.so.0 >/dev/null 2>&1; then
  echo "error: OpenBLAS is still visible" >&2
  exit 1
fi
[ "$hidden" -gt 0 ] || echo "== no OpenBLAS here to hide"

# The tests then expect the fallback (plain tfjs-wasm kernels), not the native ones.
unset DELTASCOPE_REQUIRE_BLAS
export DELTASCOPE_EXPECT_NO_BLAS=1
# --full: the unit and integration projects as `npm run test:unit` runs them (run once by hand before a
# release; CI runs only the native kernels' and the backend's tests here, to stay under 15 minutes).
# The Slurm tests are left out, loudly: the one-node Slurm runs its tasks from slurmd, outside this
# mount namespace, where OpenBLAS is visible — so their checkpoints cannot match a reference run
# inside it. (On a machine really without OpenBLAS both sides use the plain kernels.)
if [ "${1:-}" = --full ]; then
  shift
  echo "== not run here: tests/integration/cluster/cluster-slurm.test.ts (Slurm's tasks run outside this namespace, with OpenBLAS)"
  exec npx vitest run --project unit --project integration --exclude tests/integration/cluster/cluster-slurm.test.ts "$@"
fi
if [ "$#" -eq 0 ]; then set -- tests/unit/engine/native-blas tests/unit/engine/backend.test.ts; fi
exec npx vitest run --project unit "$@"
