#!/bin/sh
# Builds nnc with AddressSanitizer + UndefinedBehaviorSanitizer into
# ./build-asan and runs every test under them: about 35 minutes on 2 cores
# from scratch, of which the tests take 10 (lit 9).
set -eu
cd "$(dirname "$0")/.."
FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="$FLAGS" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j"$(nproc)"
# abort_on_error: a report ends the process with SIGABRT rather than exit
# code 1, so a test expecting exit code 1 (`not nnc ...`) cannot mistake a
# sanitizer report for the error it expects.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:abort_on_error=1 \
  ctest --test-dir build-asan --output-on-failure
