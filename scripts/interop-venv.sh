#!/bin/sh
# The Python packages the interop tests need and Debian does not have:
# ONNX Runtime (with numpy), pinned, in a virtual environment under build/
# (never on the system, never on the README's main path). Idempotent: an
# environment with these versions is kept.
set -eu
cd "$(dirname "$0")/.."
VENV=build/interop-venv
PINS="onnxruntime==1.23.2 numpy==2.3.5"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/pins" 2>/dev/null)" = "$PINS" ]; then exit 0; fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
echo "$PINS" > "$VENV/pins"
