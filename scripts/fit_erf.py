#!/usr/bin/env python3
"""Fits the float32 erf of backend/InlineMath.cpp and checks it.

  /usr/bin/python3 scripts/fit_erf.py       (needs numpy and mpmath: python3-numpy, python3-mpmath)

erf(x) ~ x * P(x^2) / Q(x^2) on [0, LIMIT], Q(0) = 1, P of degree 6 and Q of
degree 5 in x^2: the linearised problem x P - erf(x) Q = 0 solved by least
squares, reweighted each round towards the largest errors (Lawson) and by
1/Q (Loeb), keeping the round with the smallest maximum error. Prints the
coefficients, the error in exact arithmetic, and the error of a float32
evaluation with fused multiply-adds (as the compiled loops evaluate it).
"""
import mpmath
import numpy as np

LIMIT, NUMERATOR_DEGREE, DENOMINATOR_DEGREE = 3.92, 6, 5
mpmath.mp.dps = 30


def fit():
    xs = np.unique(np.concatenate([np.linspace(0, LIMIT, 6000)[1:],
                                   LIMIT * (1 - np.cos(np.linspace(0, np.pi / 2, 3000)))[1:]]))
    f = np.array([float(mpmath.erf(x)) for x in xs])
    s = xs * xs
    columns = [xs * s**k for k in range(NUMERATOR_DEGREE + 1)] + [-f * s**k for k in range(1, DENOMINATOR_DEGREE + 1)]
    a = np.stack(columns, 1)
    scale = np.abs(a).max(0)
    weights = np.ones_like(xs)
    best = None
    for _ in range(60):
        solution, *_ = np.linalg.lstsq((a / scale) * weights[:, None], f * weights, rcond=None)
        c = solution / scale
        p, q = c[:NUMERATOR_DEGREE + 1], np.concatenate([[1.0], c[NUMERATOR_DEGREE + 1:]])
        pv = sum(p[k] * s**k for k in range(len(p)))
        qv = sum(q[k] * s**k for k in range(len(q)))
        error = xs * pv / qv - f
        worst = np.abs(error).max()
        if best is None or worst < best[0]:
            best = (worst, p, q)
        weights = weights * np.sqrt(np.abs(error) / worst + 1e-3) / np.sqrt(np.abs(qv))
        weights /= weights.max()
    return best


def float32_error(p, q):
    x = np.linspace(0, 4.5, 100001).astype(np.float32)
    fma = lambda a, b, c: (a.astype(np.float64) * b.astype(np.float64) + np.float64(c)).astype(np.float32)
    t = np.minimum(x, np.float32(LIMIT))
    s = (t * t).astype(np.float32)
    pv = np.full_like(s, np.float32(p[-1]))
    for k in range(len(p) - 2, -1, -1):
        pv = fma(pv, s, np.float32(p[k]))
    qv = np.full_like(s, np.float32(q[-1]))
    for k in range(len(q) - 2, -1, -1):
        qv = fma(qv, s, np.float32(q[k]))
    y = np.minimum(((t * pv).astype(np.float32) / qv).astype(np.float32), np.float32(1))
    exact = np.array([float(mpmath.erf(float(v))) for v in x])
    ulp = np.spacing(np.maximum(np.abs(exact), 1e-38).astype(np.float32)).astype(np.float64)
    error = np.abs(y.astype(np.float64) - exact)
    return error.max(), (error / ulp).max()


def main():
    worst, p, q = fit()
    print("numerator:  ", [float(v) for v in p])
    print("denominator:", [float(v) for v in q])
    print(f"max error, exact arithmetic: {worst:.3g}")
    absolute, ulps = float32_error(p, q)
    print(f"max error, float32 with FMA: {absolute:.3g} ({ulps:.1f} ulp)")


if __name__ == "__main__":
    main()
