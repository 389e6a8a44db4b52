#!/bin/sh
# Installs exactly the Debian 12 packages nnc needs to build and run.
# `install-deps.sh tests` adds what only the tests need: PyTorch with its
# C++ headers, ninja and Python's headers, to build and check the
# operators `nnc torch` generates.
# Idempotent: apt-get skips what is already installed.
set -eu
PACKAGES="
  build-essential cmake
  llvm-19-dev llvm-19-tools
  antlr4 libantlr4-runtime-dev openjdk-17-jre-headless
  libeigen3-dev libopenblas-pthread-dev libfmt-dev libgtest-dev zlib1g-dev nlohmann-json3-dev
  libedit-dev pkg-config libonnx-dev libprotobuf-dev python3-venv
  python3 dataset-fashion-mnist
"
if [ "${1:-}" = tests ]; then
  PACKAGES="$PACKAGES python3-torch libtorch-dev python3-dev ninja-build"
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi
