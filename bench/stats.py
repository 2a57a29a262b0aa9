"""Timing and statistics for the benchmarks: interleaved A/B samples, percentiles, ratios, CV."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    k = (len(data) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def cv(values: list[float]) -> float:
    """Coefficient of variation (stdev / mean); 0 for fewer than two values."""
    if len(values) < 2 or not statistics.fmean(values):
        return 0.0
    return statistics.stdev(values) / statistics.fmean(values)


@dataclass
class Samples:
    """Seconds per call for the portal side (a) and the baseline side (b), grouped by repetition."""

    a: list[list[float]] = field(default_factory=list)
    b: list[list[float]] = field(default_factory=list)

    def all_a(self) -> list[float]:
        return [x for rep in self.a for x in rep]

    def all_b(self) -> list[float]:
        return [x for rep in self.b for x in rep]

    def p(self, side: str, q: float) -> float:
        return percentile(self.all_a() if side == "a" else self.all_b(), q)

    def ratio(self, q: float = 50) -> float:
        return self.p("a", q) / self.p("b", q)

    def rep_ratios(self, q: float = 50) -> list[float]:
        return [percentile(a, q) / percentile(b, q) for a, b in zip(self.a, self.b, strict=True) if a and b]


def interleave(
    a: Callable[[], Any],
    b: Callable[[], Any],
    *,
    reps: int,
    per_rep: int,
    warmup: int = 3,
    prepare: Callable[[str], Any] | None = None,
) -> Samples:
    """Time `a` and `b` alternately (A B A B …) for `reps` repetitions of `per_rep` calls each.

    With `prepare`, it is called untimed with "a" or "b" before every timed call (data reset for
    the bulk jobs). Warm-up calls (untimed, `warmup` of each) come first.
    """
    for _ in range(warmup):
        for side, fn in (("a", a), ("b", b)):
            if prepare:
                prepare(side)
            fn()
    out = Samples()
    clock = time.perf_counter
    for _ in range(reps):
        ra: list[float] = []
        rb: list[float] = []
        for _ in range(per_rep):
            for side, fn, sink in (("a", a, ra), ("b", b, rb)):
                if prepare:
                    prepare(side)
                t0 = clock()
                fn()
                sink.append(clock() - t0)
        out.a.append(ra)
        out.b.append(rb)
    return out


def fmt_seconds(s: float) -> str:
    if s != s:  # NaN
        return "—"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.0f} µs"
