#!/bin/sh
# Builds nnc and runs every test (unit, golden, interop) through ctest.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh tests
sh scripts/build.sh
sh scripts/interop-venv.sh
ctest --test-dir build --output-on-failure
