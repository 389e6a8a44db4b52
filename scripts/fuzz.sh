#!/bin/sh
# Fuzzes the front end (or, with NNC_FUZZ_TARGET=readers, the checkpoint,
# IDX, CSV and REPL-line readers) with libFuzzer for SECONDS (default 600):
#   sh scripts/fuzz.sh [SECONDS] [more libFuzzer flags]
#   NNC_FUZZ_TARGET=readers sh scripts/fuzz.sh [SECONDS] [flags]
# Builds tests/fuzz's target with clang 19, libFuzzer, ASan and UBSan into
# ./build-fuzz, seeds it with every .nn file of the examples and lit inputs
# (plus tests/fuzz/seeds and regressions), and keeps the grown corpus in
# build-fuzz/corpus between runs. A crash, hang (-timeout) or memory blow-up
# (-rss_limit_mb) is written to build-fuzz/crashes/. See tests/fuzz/README.md.
set -eu
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-600}
[ $# -gt 0 ] && shift
if ! command -v clang++-19 >/dev/null || [ ! -e /usr/lib/llvm-19/lib/clang/19/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  echo "scripts/fuzz.sh needs clang 19 and its libFuzzer: apt-get install clang-19 libclang-rt-19-dev" >&2
  exit 1
fi
FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DNNC_LIBFUZZER=ON \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_CXX_FLAGS="$FLAGS" >/dev/null
if [ "${NNC_FUZZ_TARGET:-frontend}" = readers ]; then
  cmake --build build-fuzz -j"$(nproc)" --target nnc_fuzz_readers
  mkdir -p build-fuzz/readers-corpus build-fuzz/crashes
  exec build-fuzz/tests/fuzz/nnc_fuzz_readers build-fuzz/readers-corpus tests/fuzz/readers/seeds \
    tests/fuzz/readers/regressions -max_len=65536 -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix=build-fuzz/crashes/readers- -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 "$@"
fi
cmake --build build-fuzz -j"$(nproc)" --target nnc_fuzz_frontend
mkdir -p build-fuzz/corpus build-fuzz/seeds build-fuzz/crashes
for seed in examples/*.nn tests/lit/Inputs/*.nn tests/lit/Inputs/bad/*.nn tests/fuzz/seeds/* tests/fuzz/regressions/*; do
  cp "$seed" "build-fuzz/seeds/$(echo "$seed" | tr / _)"
done
exec build-fuzz/tests/fuzz/nnc_fuzz_frontend build-fuzz/corpus build-fuzz/seeds \
  -dict=tests/fuzz/nn.dict -max_len=4096 -timeout=25 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/crashes/ -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 "$@"
