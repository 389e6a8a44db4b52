#!/bin/sh
# Configures and builds nnc into ./build (Release with assertions off).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=${NNC_BUILD_TYPE:-Release} >/dev/null
cmake --build build -j"$(nproc)"
