"""Ratios by size band and bank, the annual cap and the stop-loss line: the simulator's NumPy twins
(sim/levers.py) against the scalar rules of market/domain/levers.py, claim by claim."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

import sim
from market.domain import loss as rule
from market.domain.levers import PolicyLevers, past_stop_loss, policy_for_loan, within_annual_cap
from sim.levers import bank_loans_fen, capped_in_order, limit_claims, loan_policies
from sim.runner import block_seed, book_of
from sim.scenario import ScenarioError
from sim.settlement import NEVER
from sim.vector import claim_table, draw_cases

BANKS = [{"name": "ICBC", "share": 0.6}, {"name": "BOC", "share": 0.4}]
BOOK = {
    "horizon_years": 2,
    "portfolio": {
        "loans": 600,
        "principal_yuan": {"dist": "lognormal", "median": 6_000_000, "sigma": 0.7},
        "banks": BANKS,
    },
    "default": {"pd_annual": 0.06, "asset_correlation": 0.2},
    "layers": {"bank": 0.6, "guarantor": 0.4},
    "compensation": {"ratio": 0.5, "cap_per_loan_yuan": 2_000_000, "claim_days": 90},
    "recovery": {
        "model": "rate",
        "rate": {"dist": "beta", "mean": 0.3, "sd": 0.2},
        "delay_days": 200,
    },
}


def block_claims(scenario, paths: int = 200):
    """A block's cases and its claims before and after the levers that cut approvals."""
    book = book_of(scenario)
    cases = draw_cases(scenario, book, block_seed(scenario.seed, 0), paths)
    principal = book.principal_fen[cases.loan]
    cash_day = cases.filed_day + cases.disposals.operator_days
    interest = np.zeros_like(principal)
    loss = sim.vector.principal_loss_fen(scenario, cases.disposals.proceeds_fen, interest, principal)
    table = claim_table(scenario, cases.path, cases.day, cash_day, principal, loss,
                        loan_policies(scenario, book, cases.loan))  # fmt: skip
    return book, cases, loss, table


def test_a_loans_ratio_is_its_banks_else_its_size_bands_claim_by_claim(make_scenario):
    scenario = make_scenario(**BOOK | {"compensation": BOOK["compensation"] | {
        "ratio_by_size_band": [0.4, 0.3, 0.2], "ratio_by_bank": {"BOC": 0.35}}})  # fmt: skip
    book, cases, loss, table = block_claims(scenario)
    comp = scenario.compensation
    by_case, early = defaultdict(dict), set()
    for row in range(table.case.size):
        by_case[int(table.case[row])][rule.LAYERS[table.layer[row]]] = int(table.due_final[row])
        if table.revise_batch[row] != NEVER:  # filed on the principal, revised to the loss
            early.add(int(table.case[row]))
    banks = scenario.portfolio.bank_names
    assert len(by_case) > 100
    for case, claims in by_case.items():
        loan = int(cases.loan[case])
        policy = policy_for_loan(comp.policy, comp.levers, int(book.principal_fen[loan]),
                                 banks[book.bank[loan]])  # fmt: skip
        expected = rule.compute_claims(int(loss[case]), scenario.layers, policy).by_layer()
        if case in early:
            filed = rule.compute_claims(int(book.principal_fen[loan]), scenario.layers, policy)
            expected = {k: min(v, filed.claim_of(k)) for k, v in expected.items()}
        assert claims == {k: v for k, v in expected.items() if k in claims}
    ratios = {float(p.ratio_of(rule.Layer.BANK)) for p in loan_policies(scenario, book, cases.loan).policies}
    assert ratios == {0.4, 0.3, 0.2, 0.35}


def test_the_annual_cap_cuts_claims_in_order_of_approval_like_the_scalar_rule():
    rng = np.random.default_rng(5)
    key = np.sort(rng.integers(0, 30, 2000))
    amount = rng.integers(0, 5_000_000, key.size)
    cap = 40_000_000
    levers = rule_levers(annual_cap_fen=cap)
    approved, expected = defaultdict(int), []
    for k, a in zip(key.tolist(), amount.tolist(), strict=True):
        expected.append(within_annual_cap(a, approved[k], levers))
        approved[k] += expected[-1]
    assert capped_in_order(amount, key, cap).tolist() == expected
    assert any(0 < e < a for e, a in zip(expected, amount.tolist(), strict=True))  # one cut partly


def rule_levers(**values) -> PolicyLevers:
    return PolicyLevers(**values)


@pytest.mark.parametrize("resume", ["year_end", "below"])
def test_a_bank_past_its_stop_loss_line_is_paused_like_the_scalar_rule(make_scenario, resume):
    scenario = make_scenario(**BOOK | {"compensation": BOOK["compensation"] | {
        "stop_loss_share": 0.01, "stop_loss_resume": resume}})  # fmt: skip
    book, cases, loss, table = block_claims(scenario)
    limited = limit_claims(scenario, book, table, cases.loan, loss)
    levers, per_year = scenario.compensation.levers, scenario.compensation.settlements_per_year
    lent = bank_loans_fen(book, 2, scenario.horizon_years)
    losses, last_case, paused = defaultdict(int), None, []
    for row in range(table.case.size):
        case = int(table.case[row])
        bank = int(book.bank[cases.loan[case]])
        year = (int(table.approve_batch[row]) - 1) // per_year
        key = (int(table.path[row]), bank, year if resume == "year_end" else None)
        if case != last_case:
            losses[key] += int(loss[case])
            last_case = case
        paused.append(past_stop_loss(losses[key], int(lent[bank, min(year, 1)]), levers))
    paused = np.array(paused)
    assert 0 < paused.mean() < 1
    assert np.all(limited.due_first[paused] == 0) and np.all(limited.due_final[paused] == 0)
    assert np.array_equal(limited.due_first[~paused], table.due_first[~paused])


def test_the_levers_change_what_the_fund_pays(make_scenario):
    base = make_scenario(**BOOK)
    plain = sim.run(base, paths=300)
    capped = sim.run(make_scenario(**BOOK | {"compensation": BOOK["compensation"] | {
        "annual_cap_yuan": 10_000_000}}), paths=300)  # fmt: skip
    assert plain.totals.claims_fen.max() > 10_000_000 * 100
    assert capped.totals.claims_fen.max() <= 10_000_000 * 100
    stopped = sim.run(make_scenario(**BOOK | {"compensation": BOOK["compensation"] | {
        "stop_loss_share": 0}}), paths=300)  # fmt: skip
    assert stopped.net_payout_fen.sum() == 0 and plain.net_payout_fen.sum() > 0
    event = sim.run(make_scenario(**BOOK | {"compensation": BOOK["compensation"] | {
        "annual_cap_yuan": 10_000_000}}), paths=300, engine="event")  # fmt: skip
    assert np.array_equal(event.net_payout_fen, capped.net_payout_fen)  # no queue: the same paths


@pytest.mark.parametrize(
    ("compensation", "message"),
    [
        ({"ratio_by_size_band": [0.4, 0.3]}, "ratio_by_size_band: must be a list of 3 ratios"),
        ({"ratio_by_size_band": [0.4, 0.3, 2]}, "ratio_by_size_band: must be a number between"),
        ({"ratio_by_bank": {"HSBC": 0.3}}, "ratio_by_bank.HSBC: is not one of the banks"),
        ({"stop_loss_resume": "below"}, "stop_loss_resume: applies only with stop_loss_share"),
        ({"stop_loss_share": 0.03, "stop_loss_resume": "never"}, "stop_loss_resume: must be one of"),
        ({"annual_cap_yuan": -1}, "annual_cap_yuan: must be an amount of yuan"),
        ({"anual_cap_yuan": 1}, "unknown key compensation.anual_cap_yuan .did you mean annual_cap_yuan"),
    ],
)
def test_a_bad_lever_is_refused_naming_the_key(make_scenario, compensation, message):
    with pytest.raises(ScenarioError, match=message):
        make_scenario(**BOOK | {"compensation": BOOK["compensation"] | compensation})
