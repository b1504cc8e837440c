"""Panel planning: spread evenly, outfits by rows, no repeated combination, seeded."""
import math
from collections import Counter

import pytest

from automation.catalog import grid_catalog
from automation.generators.grid_plan import plan_panels

POSES = list(grid_catalog()["poses"])
EXPRESSIONS = list(grid_catalog()["expressions"])
OUTFITS = list(grid_catalog()["outfits"])
ANGLES = list(grid_catalog()["camera_angles"])


def plan(size: int, *, outfits, poses, expressions, camera_angles=("eye_level",), seed=7):
    return plan_panels(
        rows=size, cols=size, outfits=outfits, poses=poses, expressions=expressions,
        camera_angles=camera_angles, seed=seed,
    )  # fmt: skip


def assert_follows_the_rule(panels, *, size, lists):
    cells = size * size
    assert sorted((p.row, p.col) for p in panels) == [(r, c) for r in range(size) for c in range(size)]
    for attribute, values in lists.items():
        counts = Counter(getattr(p, attribute) for p in panels)
        if len(values) <= cells:
            assert set(counts) == set(values), attribute  # every value used
            assert max(counts.values()) - min(counts.values()) <= 1, (attribute, counts)
        else:
            assert len(counts) == cells and set(counts.values()) == {1}, (attribute, counts)
            assert set(counts) <= set(values)
    combinations = Counter(p.combination for p in panels)
    possible = math.prod(min(len(values), cells) for values in lists.values())
    if possible >= cells:
        assert max(combinations.values()) == 1
    else:  # every combination used before any is used again
        assert len(combinations) == possible
        assert max(combinations.values()) - min(combinations.values()) <= 1


def test_three_outfits_on_a_3x3_fill_one_row_each():
    panels = plan(3, outfits=["casual", "combat", "armor"], poses=["standing", "walking", "fighting", "casting"],
                  expressions=["neutral", "happy", "angry", "determined"])  # fmt: skip
    assert [[p.outfit for p in panels if p.row == row] for row in range(3)] == [
        ["casual"] * 3, ["combat"] * 3, ["armor"] * 3,
    ]  # fmt: skip
    assert_follows_the_rule(panels, size=3, lists={
        "outfit": ["casual", "combat", "armor"], "pose": ["standing", "walking", "fighting", "casting"],
        "expression": ["neutral", "happy", "angry", "determined"], "camera_angle": ["eye_level"],
    })  # fmt: skip


@pytest.mark.parametrize(
    "size, outfits, poses, expressions, angles",
    [
        (2, 1, 2, 2, 1),  # exactly as many combinations as cells
        (2, 2, 4, 3, 1),
        (2, 1, 1, 1, 1),  # one combination: repeated, nothing else possible
        (2, 3, 1, 1, 1),  # 3 outfits on 4 cells: 2, 1, 1
        (4, 4, 4, 4, 1),  # one outfit per row
        (4, 2, 3, 5, 2),
        (4, 1, 2, 2, 1),  # 4 combinations for 16 cells: each exactly 4 times
        (4, 1, 3, 2, 1),  # 6 combinations for 16 cells: 3 or 2 times each
        (4, 3, 14, 12, 6),
    ],
)
def test_2x2_and_4x4_plans_follow_the_rule(size, outfits, poses, expressions, angles):
    lists = {"outfit": OUTFITS[:outfits], "pose": POSES[:poses], "expression": EXPRESSIONS[:expressions],
             "camera_angle": ANGLES[:angles]}  # fmt: skip
    panels = plan(size, outfits=lists["outfit"], poses=lists["pose"], expressions=lists["expression"],
                  camera_angles=lists["camera_angle"])  # fmt: skip
    assert_follows_the_rule(panels, size=size, lists=lists)


def test_four_outfits_on_a_4x4_fill_one_row_each():
    panels = plan(4, outfits=OUTFITS[:4], poses=POSES[:4], expressions=EXPRESSIONS[:4])
    assert [{p.outfit for p in panels if p.row == row} for row in range(4)] == [{o} for o in OUTFITS[:4]]


@pytest.mark.parametrize("size", [2, 3])
def test_lists_longer_than_the_cells_use_each_value_at_most_once(size):
    lists = {"outfit": OUTFITS[:12], "pose": POSES, "expression": EXPRESSIONS, "camera_angle": ANGLES}
    panels = plan(size, outfits=lists["outfit"], poses=lists["pose"], expressions=lists["expression"],
                  camera_angles=lists["camera_angle"])  # fmt: skip
    assert_follows_the_rule(panels, size=size, lists=lists)
    # Outfits still read in the order given.
    outfit_order = [p.outfit for p in panels]
    assert outfit_order == sorted(outfit_order, key=OUTFITS.index)


def test_the_plan_is_deterministic_for_a_seed_and_varies_with_it():
    kwargs = dict(outfits=OUTFITS[:2], poses=POSES[:6], expressions=EXPRESSIONS[:5], camera_angles=ANGLES[:3])
    assert plan(4, seed=42, **kwargs) == plan(4, seed=42, **kwargs)
    plans = {tuple(p.combination for p in plan(4, seed=seed, **kwargs)) for seed in range(10)}
    assert len(plans) > 1


def test_every_small_configuration_follows_the_rule():
    # Exhaustive over short lists: the search never has to relax the rule.
    for size in (2, 3, 4):
        for outfits in range(1, 5):
            for poses in range(1, 6):
                for expressions in range(1, 6):
                    lists = {"outfit": OUTFITS[:outfits], "pose": POSES[:poses],
                             "expression": EXPRESSIONS[:expressions], "camera_angle": ANGLES[:2]}  # fmt: skip
                    panels = plan(size, outfits=lists["outfit"], poses=lists["pose"],
                                  expressions=lists["expression"], camera_angles=lists["camera_angle"],
                                  seed=size * 100 + outfits * 10 + poses)  # fmt: skip
                    assert_follows_the_rule(panels, size=size, lists=lists)
