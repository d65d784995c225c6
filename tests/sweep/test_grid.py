"""A grid file names base scenarios, policy variants and keys to vary (lists or ranges, crossed or
zipped); every cell is a checked scenario, a bad cell is named with its problem, a bad grid is refused."""

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.sweep import grid_of, load_grid

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "sim" / "scenarios"


def grid(**parts):
    """A grid over the xiangtan and jiyuan examples, with the given tables."""
    return grid_of({"scenarios": ["xiangtan.toml", "jiyuan.toml"], **parts}, SCENARIOS)


def test_the_example_grid_is_three_cities_by_four_policy_variants():
    example = load_grid(ROOT / "sim" / "sweeps" / "province.toml")
    assert [(c.base, c.variant) for c in example.cells][:4] == [
        ("beijing", "current"),
        ("beijing", "cap-500k"),
        ("beijing", "subsidy-20pct"),
        ("beijing", "growth-30pct"),
    ]
    assert len(example.cells) == 12 and {c.base for c in example.cells} == {
        "beijing", "xiangtan", "jiyuan"
    }  # fmt: skip
    assert all(c.problem is None for c in example.cells)
    capped = next(c for c in example.cells if c.name == "jiyuan/cap-500k")
    assert capped.scenario.compensation.policy.cap_per_loan_fen == 500_000 * 100
    assert capped.scenario.name == "jiyuan/cap-500k"
    assert example.run["paths"] == 20_000


def test_crossed_keys_make_every_combination_and_zipped_keys_move_together():
    cells = grid(
        cross={"default.pd_annual": [0.01, 0.02], "portfolio.growth": {"from": 0, "to": 0.2, "by": 0.1}},
        zip={"subsidy.interest_share": [0.1, 0.2], "subsidy.interest_cap_yuan": [1000, 2000]},
    ).cells  # fmt: skip
    assert len(cells) == 2 * 2 * 3 * 2
    first = cells[0]
    assert first.name == (
        "xiangtan/default.pd_annual=0.01/portfolio.growth=0/"
        "subsidy.interest_share=0.1/subsidy.interest_cap_yuan=1000"
    )
    shares = {
        (c.changes["subsidy.interest_share"], c.changes["subsidy.interest_cap_yuan"]) for c in cells
    }
    assert shares == {(0.1, 1000), (0.2, 2000)}
    assert {c.changes["portfolio.growth"] for c in cells} == {0, 0.1, 0.2}
    last = cells[-1].scenario
    assert last.default.segments[0].pd_annual == 0.02 and last.portfolio.growth == pytest.approx(
        0.2
    )


def test_a_range_includes_both_ends_and_keeps_whole_numbers_whole():
    cells = grid(cross={"portfolio.loans": {"from": 100, "to": 300, "by": 100}}).cells
    assert [c.changes["portfolio.loans"] for c in cells[:3]] == [100, 200, 300]
    counted = grid(cross={"default.asset_correlation": {"from": 0.1, "to": 0.3, "count": 3}}).cells
    assert [c.changes["default.asset_correlation"] for c in counted[:3]] == [0.1, 0.2, 0.3]


def test_a_variant_written_with_unquoted_dotted_keys_changes_the_same_value():
    quoted = grid(variants={"v": {"compensation.cap_per_loan_yuan": 7}}).cells[0]
    nested = grid(variants={"v": {"compensation": {"cap_per_loan_yuan": 7}}}).cells[0]
    assert quoted.changes == nested.changes == {"compensation.cap_per_loan_yuan": 7}
    assert nested.scenario.compensation.policy.cap_per_loan_fen == 700


def test_a_cell_whose_changes_break_the_scenario_is_named_with_its_problem():
    cells = grid(variants={"ok": {}, "bad": {"default.pd_annual": 1.5}}).cells
    bad = [c for c in cells if c.problem]
    assert [c.name for c in bad] == ["xiangtan/bad", "jiyuan/bad"]
    assert bad[0].problem.startswith("default.pd_annual:") and bad[0].scenario is None
    assert all(c.scenario is not None for c in cells if c.variant == "ok")


def test_a_missing_base_scenario_makes_its_cells_bad_and_leaves_the_others():
    cells = grid_of({"scenarios": ["xiangtan.toml", "nowhere.toml"]}, SCENARIOS).cells
    assert cells[0].problem is None and cells[1].name == "nowhere"
    assert "cannot read" in cells[1].problem


@pytest.mark.parametrize(
    ("parts", "key"),
    [
        ({"zip": {"portfolio.growth": [0.1, 0.2], "default.pd_annual": [0.01]}}, "zip"),
        ({"cross": {"portfolio.growth": 0.1}}, "cross.portfolio.growth"),
        ({"cross": {"portfolio.growth": {"from": 0.1, "to": 0.2}}}, "cross.portfolio.growth"),
        ({"run": {"workers": 3}}, "run.workers"),
        ({"variant": {}}, "variant"),
    ],
)
def test_a_wrong_grid_is_refused_naming_the_key(parts, key):
    with pytest.raises(ScenarioError) as refused:
        grid(**parts)
    assert refused.value.key == key


def test_a_grid_without_scenarios_is_refused():
    with pytest.raises(ScenarioError, match="scenarios"):
        grid_of({"cross": {}}, SCENARIOS)
