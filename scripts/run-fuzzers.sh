#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) in their own build dir and
# runs each for a bounded time on its checked-in seed corpus. Exits non-zero on a crash (the
# reproducer is left as build-fuzz/crash-*). Skips, saying why, without clang.
#   TALLY_FUZZ_SECONDS  time per target (default 20)
#   TALLY_FUZZ_BUILD_DIR  build dir (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

CLANG="${TALLY_FUZZ_CXX:-$(command -v clang++ || true)}"
if [[ -z "$CLANG" ]]; then
  echo "run-fuzzers: clang++ not found; skipping the fuzz targets"
  exit 0
fi
# clang without its libFuzzer/ASan runtime (compiler-rt) cannot build the targets either.
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
  >"$probe/p.cc"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$probe/p.cc" -o "$probe/p" 2>/dev/null; then
  echo "run-fuzzers: $CLANG cannot link -fsanitize=fuzzer (no compiler-rt?); skipping"
  exit 0
fi
BUILD_DIR="${TALLY_FUZZ_BUILD_DIR:-build-fuzz}"
SECONDS_PER_TARGET="${TALLY_FUZZ_SECONDS:-20}"
JOBS="${TALLY_JOBS:-2}"
TARGETS=(promql_parser_fuzzer remote_write_fuzzer text_parser_fuzzer chunk_decoder_fuzzer)

LAUNCHER=()
if command -v ccache >/dev/null; then LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$CLANG" "${LAUNCHER[@]}" \
  -DTALLY_BUILD_FUZZERS=ON -DTALLY_SANITIZE=ON -DTALLY_BUILD_TESTS=OFF -DTALLY_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${TARGETS[@]}"

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ROOT="$(pwd)"
for t in "${TARGETS[@]}"; do
  corpus="$ROOT/fuzz/corpus/${t%_fuzzer}"
  # New inputs go to the build dir, never into the checked-in corpus.
  work="$ROOT/$BUILD_DIR/corpus/${t%_fuzzer}"
  log="$ROOT/$BUILD_DIR/$t.log"
  mkdir -p "$work"
  echo "run-fuzzers: $t for ${SECONDS_PER_TARGET}s (seeds: fuzz/corpus/${t%_fuzzer})"
  status=0
  (cd "$ROOT/$BUILD_DIR" && "./fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 \
     -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work" "$corpus") >"$log" 2>&1 ||
    status=$?
  tail -n 8 "$log"
  if [[ $status -ne 0 ]]; then
    grep -A40 -m1 "ERROR\|deadly signal\|runtime error" "$log" || true
    echo "run-fuzzers: $t failed (exit $status); reproducer in $BUILD_DIR/crash-* (log: $log)"
    exit 1
  fi
done
echo "run-fuzzers: all targets passed"
