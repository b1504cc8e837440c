"""Panel planning: which outfit, pose, expression and camera angle goes in each cell.

The rule (docs/grid.md, "Panel planning"):
1. Spread: each list's values fill the cells as evenly as possible. With at least as
   many cells as values, every value is used and two values' counts differ by at most
   one (the seed picks which values get the extra cell). With more values than cells,
   the seed picks which values appear, each once.
2. Outfits change least often: they fill the cells in reading order, in the order given,
   one contiguous block each, so 3 outfits on a 3x3 give one outfit per row.
3. No repeats: no (outfit, pose, expression, camera angle) combination appears twice
   while an unused combination remains; when the cells outnumber the combinations, each
   combination is used as evenly as possible.
4. Deterministic: the same size, lists and seed always give the same plan.

Rules 1-2 are hard; within them a small depth-first search finds an arrangement that
meets rule 3 (16 cells at most, so the search is tiny). A fallback that only keeps rules
1-2 exists for pathological inputs, so planning never fails.
"""
import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

# Depth-first search steps allowed per strictness level before relaxing to the next one.
SEARCH_BUDGET = 50_000


@dataclass(frozen=True)
class PlannedPanel:
    row: int
    col: int
    outfit: str
    pose: str
    expression: str
    camera_angle: str

    @property
    def combination(self) -> tuple[str, str, str, str]:
        return (self.outfit, self.pose, self.expression, self.camera_angle)


def plan_panels(
    *,
    rows: int,
    cols: int,
    outfits: Sequence[str],
    poses: Sequence[str],
    expressions: Sequence[str],
    camera_angles: Sequence[str],
    seed: int,
) -> list[PlannedPanel]:
    """Fill rows x cols cells following the module's rule; panels in reading order."""
    lists = {"outfits": outfits, "poses": poses, "expressions": expressions, "camera_angles": camera_angles}
    for name, values in lists.items():
        if not values:
            raise ValueError(f"{name} must not be empty")
        if len(set(values)) != len(values):
            raise ValueError(f"{name} must not repeat a value")
    cells = rows * cols
    rng = random.Random(seed)

    outfit_quota = _quota(outfits, cells, rng)
    outfit_cells = [value for value in outfits for _ in range(outfit_quota.get(value, 0))]
    # One rank per value: the seeded tie-break between equally good candidates.
    others = []
    for values in (poses, expressions, camera_angles):
        quota = _quota(values, cells, rng)
        order = [value for value in values if quota.get(value)]
        rng.shuffle(order)
        others.append((quota, {value: rank for rank, value in enumerate(order)}))

    triples = _arrange(outfit_cells, others)
    return [
        PlannedPanel(row=index // cols, col=index % cols, outfit=outfit, pose=pose, expression=expression, camera_angle=angle)
        for index, (outfit, (pose, expression, angle)) in enumerate(zip(outfit_cells, triples))
    ]


def _quota(values: Sequence[str], cells: int, rng: random.Random) -> dict[str, int]:
    """How many cells each value gets: even, the remainder to values the seed picks."""
    if len(values) >= cells:
        return dict.fromkeys(rng.sample(list(values), cells), 1)
    base, extra = divmod(cells, len(values))
    lucky = set(rng.sample(list(values), extra))
    return {value: base + (value in lucky) for value in values}


def _arrange(outfit_cells: list[str], others: list[tuple[dict[str, int], dict[str, int]]]) -> list[tuple[str, str, str]]:
    """Give each cell a (pose, expression, angle) within the quotas, avoiding repeats."""
    cells = len(outfit_cells)
    combos = math.prod([len(set(outfit_cells)), *(len(quota) for quota, _ in others)])
    even, spare = divmod(cells, combos)
    # Strict: every combination used `even` or `even + 1` times (at most `spare` of them
    # the latter); then only a ceiling; then nothing but the quotas.
    levels = [(math.ceil(cells / combos), spare if spare else None), (math.ceil(cells / combos), None), (cells, None)]
    for cap, at_cap_limit in levels:
        found = _search(outfit_cells, others, cap=cap, at_cap_limit=at_cap_limit)
        if found is not None:
            return found
    raise AssertionError("unreachable: the last level only enforces quotas, which always fit")


def _search(outfit_cells, others, *, cap: int, at_cap_limit: int | None) -> list[tuple[str, str, str]] | None:
    remaining = [dict(quota) for quota, _ in others]
    ranks = [rank for _, rank in others]
    used: Counter = Counter()
    # (outfit, list index, value) -> cells so far: varies poses and expressions within
    # an outfit's block (a row, often) instead of repeating one next to itself.
    with_outfit: Counter = Counter()
    at_cap = 0
    chosen: list[tuple[str, str, str]] = []
    steps = 0

    def candidates(outfit: str) -> list[tuple[str, str, str]]:
        options = [
            (pose, expression, angle)
            for pose in remaining[0] if remaining[0][pose]
            for expression in remaining[1] if remaining[1][expression]
            for angle in remaining[2] if remaining[2][angle]
        ]  # fmt: skip
        # Least-used combination first, then values not yet seen with this outfit, then
        # the values with the most cells still to place (placing them early keeps the
        # quotas satisfiable), then the seed's order.
        return sorted(
            options,
            key=lambda t: (
                used[(outfit, *t)],
                sum(with_outfit[(outfit, i, t[i])] for i in range(3)),
                -sum(remaining[i][t[i]] for i in range(3)),
                tuple(ranks[i][t[i]] for i in range(3)),
            ),
        )

    def place(index: int) -> bool:
        nonlocal at_cap, steps
        if index == len(outfit_cells):
            return True
        outfit = outfit_cells[index]
        for triple in candidates(outfit):
            steps += 1
            if steps > SEARCH_BUDGET:
                return False
            combo = (outfit, *triple)
            reaches_cap = used[combo] + 1 == cap
            if used[combo] >= cap or (reaches_cap and at_cap_limit is not None and at_cap >= at_cap_limit):
                continue
            used[combo] += 1
            at_cap += reaches_cap
            for i in range(3):
                remaining[i][triple[i]] -= 1
                with_outfit[(outfit, i, triple[i])] += 1
            chosen.append(triple)
            if place(index + 1):
                return True
            chosen.pop()
            for i in range(3):
                remaining[i][triple[i]] += 1
                with_outfit[(outfit, i, triple[i])] -= 1
            used[combo] -= 1
            at_cap -= reaches_cap
        return False

    return chosen if place(0) else None
