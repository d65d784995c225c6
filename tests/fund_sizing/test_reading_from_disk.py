"""The kept figures live on disk and are read back a chunk at a time: the answers are exactly those of
the whole columns in memory, however the columns are cut."""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim import column_stats, path_figures
from sim.budget_lines import column_of
from sim.column_stats import Sketch, Tally, above, moments, order_statistics
from sim.convergence import convergence
from sim.fund_study import size_fund
from sim.path_figures import PathFigures, PathStore
from sim.runner import Plan, book_of
from sim.sizing import budget_covering, centre_summary, describe, summarise, total_shape

ROOT = Path(__file__).resolve().parents[2]


def chunked(values: np.ndarray, size: int):
    """A source of chunks reading `values` `size` at a time."""
    return lambda: ({"v": values[i : i + size]} for i in range(0, values.size, size))


def test_the_streamed_order_statistic_equals_the_sorted_value_with_heavy_ties():
    rng = np.random.default_rng(1)
    values = np.where(rng.random(20_000) < 0.9, 0, rng.integers(1, 10**11, 20_000))
    values[:50] = 10**11  # a second pile of ties, at the top
    ranks = [1, 2, 9_000, 17_999, 18_000, 18_001, 19_950, 19_951, 20_000]
    at = order_statistics(chunked(values, 999), {"v": ranks}, fits=100)["v"]
    ordered = np.sort(values)
    assert at == {k: int(ordered[k - 1]) for k in ranks}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(-(2**62), 2**62) | st.integers(-3, 3), min_size=1, max_size=400),
    st.integers(1, 60),
    st.integers(1, 80),
    st.data(),
)
def test_the_streamed_order_statistic_equals_the_sorted_value_at_any_chunk_boundary(
    numbers, chunk, fits, data
):
    values = np.array(numbers, dtype=np.int64)
    ranks = data.draw(st.lists(st.integers(1, values.size), min_size=1, max_size=6))
    at = order_statistics(chunked(values, chunk), {"v": ranks}, fits=fits)["v"]
    ordered = np.sort(values)
    assert at == {k: int(ordered[k - 1]) for k in ranks}


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.floats(-1e300, 1e300) | st.sampled_from([0.0, 1.5, -2.25]), min_size=1, max_size=200
    ),
    st.integers(1, 30),
)
def test_floats_are_ordered_exactly_too(numbers, chunk):
    values = np.array(numbers, dtype=np.float64)
    ranks = sorted({1, values.size, (values.size + 1) // 2})
    at = order_statistics(chunked(values, chunk), {"v": ranks}, fits=8)["v"]
    ordered = np.sort(values)
    assert [at[k] == ordered[k - 1] for k in ranks] == [True] * len(ranks)


def test_sums_are_exact_whatever_the_chunks_even_past_what_int64_holds():
    values = np.full(1000, 2**61, dtype=np.int64)
    values[::2] = -5
    for size in (1, 7, 1000):
        m = moments(chunked(values, size), spread=["v"])["v"]
        assert m.total == 500 * 2**61 - 5 * 500
        assert (m.n, m.low, m.high) == (1000, -5, 2**61)
        assert above(chunked(values, size), {"v": 0})["v"] == (500, 500 * 2**61)
    small = np.random.default_rng(2).integers(0, 10**9, 5000)
    m = moments(chunked(small, 333), spread=["v"])["v"]
    assert m.mean == small.mean() and m.sd == pytest.approx(small.std(ddof=1), rel=1e-14)


def test_the_store_gives_back_every_piece_where_it_was_put_in_any_order(city):
    scenario = sim.load(city("jiyuan"))
    figures = size_fund(scenario, Plan(seed=2, engine="vector", paths=230, chunk_paths=50)).figures
    whole = figures.read()
    again = PathStore(230, scenario.horizon_years, figures.read(0, 1).groups)
    for first in (200, 0, 150, 50, 100):  # as workers might finish them
        again.put(first, figures.read(first, first + 50))
    for a, b in zip((whole, *figures.chunks(17)), (again.read(), *again.chunks(17)), strict=False):
        assert all(
            np.array_equal(x, y) for x, y in zip(vars(a).values(), vars(b).values(), strict=True)
        )
    assert again.read().exhausted.dtype == bool and again.read(220).paths == 10


def test_a_summary_read_from_disk_in_small_chunks_equals_the_one_read_in_one_piece(
    city, monkeypatch
):
    scenario = sim.load(city("xiangtan"))
    plan = Plan(seed=5, engine="vector", paths=900, chunk_paths=300)
    sizing = size_fund(scenario, plan)
    whole = sizing.figures.read()
    assert describe(whole.payout_fen.sum(axis=1)).items() <= sizing.summary["payout_yuan"].items()

    monkeypatch.setattr(path_figures, "READ_PATHS", 37)  # chunks that cut the seed blocks
    monkeypatch.setattr(column_stats, "FITS_IN_MEMORY", 25)  # order statistics in many passes
    assert len(list(sizing.figures.chunks())) == 25
    again = summarise(
        scenario,
        sizing.figures,
        engine="vector",
        seed=5,
        chunk_paths=300,
        book=book_of(scenario),
        confidence=0.99,
    ) | centre_summary(scenario, sizing.figures)
    again["convergence"] = convergence(sizing.figures, 0.99)
    assert again == sizing.summary


def test_columns_are_the_per_path_numbers_the_summary_reads():
    figures = PathFigures.empty(3, 2)
    figures.payout_fen[:] = [[1, 2], [3, 4], [5, -6]]
    figures.subsidy_fen[:, :, 0] = [[10, 0], [0, 10], [1, 1]]
    columns = figures.columns()
    assert list(columns["total"]) == [13, 17, 1] and list(columns["worst_year"]) == [11, 14, 6]
    assert list(columns["year 2"]) == [2, 4, -6] and list(columns["payout"]) == [3, 7, -1]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.integers(-(2**62), 2**62) | st.integers(-70, 70) | st.sampled_from([0, 2**40]),
        min_size=1,
        max_size=300,
    ),
    st.integers(1, 50),
    st.integers(1, 40),
    st.data(),
)
def test_sketches_of_pieces_add_up_to_the_whole_and_lead_to_the_same_order_statistics(
    numbers, piece, fits, data
):
    values = np.array(numbers, dtype=np.int64)
    tally = Tally()
    for first in range(0, values.size, piece):  # pieces sketched apart, as workers do
        tally.add(Sketch.of({"v": values[first : first + piece]}, spread=["v"]))
    assert tally.paths == values.size
    assert tally.moments == moments(chunked(values, 7), spread=["v"])
    ranks = data.draw(st.lists(st.integers(1, values.size), min_size=1, max_size=6))
    at = order_statistics(chunked(values, 13), {"v": ranks}, fits=fits, tally=tally)["v"]
    ordered = np.sort(values)
    assert at == {k: int(ordered[k - 1]) for k in ranks}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e300, 1e300) | st.sampled_from([0.0, -0.0, 5e-324, 0.1]), min_size=1),
    st.integers(1, 30),
)
def test_float_sums_are_exact_so_pieces_add_up_to_the_whole(numbers, piece):
    values = np.array(numbers, dtype=np.float64)
    tally = Tally()
    for first in range(0, values.size, piece):
        tally.add(Sketch.of({"v": values[first : first + piece]}))
    assert tally.moments["v"].total == sum(map(Fraction, numbers))
    ranks = sorted({1, values.size, (values.size + 1) // 2})
    at = order_statistics(chunked(values, 11), {"v": ranks}, fits=4, tally=tally)["v"]
    assert [at[k] == np.sort(values)[k - 1] for k in ranks] == [True] * len(ranks)


def test_a_summary_from_the_workers_sketches_equals_one_read_wholly_from_disk(city):
    scenario = sim.load(city("beijing"))
    plan = Plan(seed=4, engine="vector", paths=300, chunk_paths=100)
    sizing = size_fund(scenario, plan)
    tally = sizing.figures.tally
    assert tally is not None
    groups = sizing.figures.read(0, 1).groups
    assert groups and all(tally.moments[f"group {g}"].squares is not None for g in range(groups))
    unsketched = PathStore(300, scenario.horizon_years, groups)
    for first in (0, 100, 200):
        unsketched.put(first, sizing.figures.read(first, first + 100))
    assert unsketched.tally is None
    for line in sizing.summary["budget"]["lines"]:  # per budget line: the same budget and chart
        column = column_of(line["line"])
        assert budget_covering(sizing.figures, 0.99, column) == budget_covering(
            unsketched, 0.99, column
        )
        shapes = total_shape(sizing.figures, 1e6, column), total_shape(unsketched, 1e6, column)
        assert all(
            np.array_equal(a, b)
            for a, b in zip(*(vars(shape).values() for shape in shapes), strict=True)
        )
    again = summarise(
        scenario,
        unsketched,
        engine="vector",
        seed=4,
        chunk_paths=100,
        book=book_of(scenario),
        confidence=0.99,
    ) | centre_summary(scenario, unsketched)
    again["convergence"] = convergence(unsketched, 0.99)
    assert again == sizing.summary
