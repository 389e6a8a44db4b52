#!/bin/sh
# Runs a command that must fail with exit code 1, as nnc does on every error:
# any other code, 0 or a crash's, fails the RUN line (`not` accepts any).
"$@"
code=$?
[ "$code" -eq 1 ] && exit 0
echo "exit1.sh: exit code $code, expected 1: $*" >&2
exit 1
