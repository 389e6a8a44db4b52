"""Timing helpers the Python benchmarks share (no dependencies)."""
import statistics
import time


def median_ms(step, runs, warmup=2):
    """The median of `runs` calls of `step`, in milliseconds, after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def timed_ms(call):
    """One call of `call`, in milliseconds (a first call: compilation included)."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1e3
