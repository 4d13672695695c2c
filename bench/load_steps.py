"""The step load of ``python -m bench locust --find-knee``: figures per step and the knee.

Each step holds a number of residents for a while; its figures count the requests that ended
in it after the first ``warm-up`` seconds (the step's new residents arriving and signing in).
In a closed loop (each resident waits for the page, thinks, asks again) the requests a second
a step completes are its arrival rate. The knee is the first step whose p95 is above the limit.
"""

import math

P95_LIMIT_MS = 300


def percentile(times: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` of 1) of ``times``; 0 for none."""
    if not times:
        return 0.0
    ordered = sorted(times)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def step_figures(users: int, seconds: float, samples: list[tuple[float, bool]]) -> dict:
    """One step's figures from its (response time in ms, failed) samples."""
    times = [elapsed for elapsed, _ in samples]
    return {
        "users": users,
        "requests": len(samples),
        "rps": len(samples) / seconds if seconds else 0.0,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "errors": sum(failed for _, failed in samples),
    }


def knee(steps: list[dict], limit_ms: float = P95_LIMIT_MS) -> tuple[dict | None, dict | None]:
    """The last step within the limit and the first above it (``None`` where there is none)."""
    below = None
    for step in steps:
        if step["p95"] > limit_ms:
            return below, step
        below = step
    return below, None
