"""Small statistics for latency samples (seconds in, milliseconds out)."""
import math


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile; `fraction` in (0, 1]."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def latency_summary(samples: list[float]) -> dict[str, float]:
    return {
        "count": len(samples),
        "p50_ms": percentile(samples, 0.50) * 1000,
        "p95_ms": percentile(samples, 0.95) * 1000,
        "p99_ms": percentile(samples, 0.99) * 1000,
        "max_ms": (max(samples) if samples else math.nan) * 1000,
    }


def median(samples: list[float]) -> float:
    return percentile(samples, 0.5)


def median_run(runs: list[dict], key: str) -> dict:
    """The run whose `key` is the median (the upper one of an even count)."""
    return sorted(runs, key=lambda run: run[key])[len(runs) // 2]


def paired_ratio(ours: list[float], baseline: list[float]) -> tuple[float, list[float]]:
    """The median of the round-by-round ratios of alternating rounds, and those ratios. Each
    round is compared with the baseline round run next to it, so load that comes and goes
    on the machine cancels out, and one fast or slow baseline round cannot decide the ratio."""
    ratios = [mine / theirs for mine, theirs in zip(ours, baseline)]
    return median(ratios), ratios
