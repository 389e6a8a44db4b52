#!/bin/sh
# The main job, for now: derive and evaluate the standard activations.
# (The "Networks and training" issue turns this into a training run.)
set -eu
cd "$(dirname "$0")/.."
NNC=build/bin/nnc
ACTS=examples/activations.nn

echo "== nnc grad 'x*sigmoid(x)'"
$NNC grad 'x*sigmoid(x)'
echo
echo "== nnc eval 'x*sigmoid(x)' --at=-1.2,0.45 --order 2   (point, f, f', f'')"
$NNC eval 'x*sigmoid(x)' --at=-1.2,0.45 --order 2
echo
echo "== derivatives of every activation in $ACTS"
for act in $(sed -n 's/^activation \([a-z_0-9]*\).*/\1/p' $ACTS); do
  printf '%-11s f(0.5), f'"'"'(0.5), f'"''"'(0.5) = %s\n' "$act" \
    "$($NNC eval --file $ACTS --act "$act" --at=0.5 --order 2 | cut -d' ' -f2-)"
  printf '%-11s d/dx = %s\n' "" "$($NNC grad --file $ACTS --act "$act")"
done
echo
echo "== an error, reported like a compiler"
$NNC grad 'x*sigmod(x)' || true
