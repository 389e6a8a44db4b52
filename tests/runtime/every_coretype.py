#!/usr/bin/env python3
"""Runs the thread-count bit-identity tests under every OpenBLAS kernel set
this CPU can run, each forced with OPENBLAS_CORETYPE in a process of its own
(OpenBLAS picks its kernels once, as it loads). Kernels tile products
differently (Haswell's broke a cut that SkylakeX's allowed), so one kernel
passing proves nothing for the others.

usage: every_coretype.py RUNTIME_TESTS_BINARY
"""
import os
import subprocess
import sys

# OpenBLAS 0.3.21's x86-64 kernel sets and the CPU flags their code needs
# (/proc/cpuinfo names). A set whose instructions the CPU lacks dies of
# SIGILL, so it is skipped; Opteron's (3DNow!) and Bulldozer's family (FMA4,
# XOP) are absent from every CPU made since 2017.
CORETYPES = [
    ("Prescott", {"pni"}),
    ("Core2", {"ssse3"}),
    ("Penryn", {"sse4_1"}),
    ("Dunnington", {"sse4_1"}),
    ("Nehalem", {"sse4_2"}),
    ("Atom", {"ssse3"}),
    ("Nano", {"pni"}),
    ("Barcelona", {"sse4a"}),
    ("Bobcat", {"sse4a", "ssse3"}),
    ("Opteron", {"3dnow"}),
    ("Bulldozer", {"fma4", "xop"}),
    ("Piledriver", {"fma4", "xop", "fma"}),
    ("Steamroller", {"fma4", "xop", "fma"}),
    ("Excavator", {"fma4", "xop", "fma", "avx2"}),
    ("Sandybridge", {"avx"}),
    ("Haswell", {"avx2", "fma"}),
    ("Zen", {"avx2", "fma"}),
    ("SkylakeX", {"avx512f", "avx512bw", "avx512dq", "avx512vl"}),
    ("Cooperlake", {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"}),
    ("SapphireRapids", {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "amx_tile"}),
]
# The matrix products' cuts, and the convolutions', which run products per
# sample and sum the weight gradient in fixed pieces.
TESTS = "Parallel.Gemm*:Windows/Conv2dShapes.GivesTheSameBits*"


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def run(binary, coretype):
    env = dict(os.environ)
    if coretype is None:
        env.pop("OPENBLAS_CORETYPE", None)
    else:
        env["OPENBLAS_CORETYPE"] = coretype
    result = subprocess.run([binary, "--gtest_filter=" + TESTS], env=env, capture_output=True, text=True)
    kernel = next((line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                   if line.startswith("OpenBLAS kernels:")), None)
    return result, kernel


def main():
    binary = sys.argv[1]
    flags = cpu_flags()
    failures, ran = [], []
    for coretype, needs in [(None, set())] + CORETYPES:
        name = coretype or "default"
        if not needs <= flags:
            print(f"{name}: skipped (this CPU lacks {' '.join(sorted(needs - flags))})")
            continue
        result, kernel = run(binary, coretype)
        if coretype is not None and kernel != coretype:
            # OpenBLAS maps a set it does not have to another (SapphireRapids
            # to Cooperlake in 0.3.21): that one is tested under its own name.
            print(f"{name}: skipped (this OpenBLAS runs {kernel} for it)")
            continue
        ran.append(kernel)
        print(f"{name}: {kernel}: {'passed' if result.returncode == 0 else 'FAILED'}")
        if result.returncode != 0:
            failures.append(name)
            sys.stdout.write(result.stdout[-4000:] + result.stderr[-2000:])
    print(f"{len(ran)} kernel sets run, {len(failures)} failed")
    if "Haswell" not in ran and {"avx2", "fma"} <= flags:
        print("error: the Haswell kernels were not run")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
