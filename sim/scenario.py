"""Read a scenario from TOML: every key typed and checked, every problem a ScenarioError naming the key."""

from __future__ import annotations

import csv
import math
import tomllib
from fractions import Fraction
from pathlib import Path

import numpy as np

from market.domain.levers import PolicyLevers, StopLossResume
from market.domain.loss import (
    LAYERS,
    CompensationPolicy,
    LayerShares,
    LossRuleBroken,
    Shortfall,
    exact_share,
)
from market.domain.money import yuan_to_fen
from market.domain.rules import DEFAULT_RULES, RuleBroken, check_start_price
from sim.errors import ScenarioError
from sim.limits import MAX_LOAN_YUAN, check_exposure
from sim.model import (
    AuctionModel,
    Bank,
    CompensationModel,
    DefaultModel,
    LoanRow,
    Portfolio,
    RecoveryModel,
    Scenario,
    Segment,
    SubsidyModel,
)
from sim.reader import Table
from sim.scenario_keys import check_keys

__all__ = [
    "AuctionModel",
    "CompensationModel",
    "DefaultModel",
    "LoanRow",
    "Portfolio",
    "RecoveryModel",
    "Scenario",
    "ScenarioError",
    "Segment",
    "SubsidyModel",
    "load",
    "parse",
    "read",
]


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file; any problem is a ScenarioError naming the key."""
    path = Path(path)
    return parse(read(path), base_dir=path.parent, default_name=path.stem)


def read(path: str | Path) -> dict:
    """The TOML document of a scenario file (or a fragment of one), not yet validated."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError("file", f"no such scenario file: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError("file", f"{path} is not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ScenarioError("file", f"cannot read {path} ({exc.strerror})") from exc
    if not data:
        raise ScenarioError("file", "the file is empty (it sets no keys)")
    return data


def parse(data: dict, base_dir: Path = Path("."), default_name: str = "scenario") -> Scenario:
    """Build a Scenario from an already-parsed TOML document."""
    check_keys(data)
    top = Table(data, "")
    name = top.text("name", default_name)
    horizon = top.integer("horizon_years", 1, low=1, high=50)
    seed = top.integer("seed", 0, low=0, high=2**63)
    default = _default(top.table("default"))
    portfolio = _portfolio(top.table("portfolio"), default, base_dir)
    compensation = _compensation(top.table("compensation"), portfolio)
    scenario = Scenario(
        name=name,
        horizon_years=horizon,
        seed=seed,
        portfolio=portfolio,
        default=default,
        recovery=_recovery(top.table("recovery")),
        auction=_auction(top.table("auction")),
        layers=_layers(top.table("layers")),
        compensation=compensation,
        subsidy=_subsidy(top.table("subsidy"), default, compensation.joint_pot),
    )
    top.done()
    check_exposure(scenario)
    return scenario


def _portfolio(t: Table, default: DefaultModel, base_dir: Path) -> Portfolio:
    if t.has("loans") == t.has("file"):
        raise ScenarioError(
            t.key("loans"), "give either loans (a number) or file (a CSV), not both or neither"
        )
    rate = t.number("rate", 0.0, low=0, high=1)
    pledge_rate = t.number("pledge_rate", 0.5, low=0, high=1, low_open=True)
    rows = None
    if t.has("file"):
        rows = _read_loans(t, base_dir / t.text("file"), default, rate, pledge_rate)
        loans = len(rows)
        principal = (
            t.distribution("principal_yuan", None, low=0.01, cut=MAX_LOAN_YUAN)
            if t.has("principal_yuan")
            else None
        )
    else:
        loans = t.integer("loans", low=1, high=10**8)
        principal = t.distribution("principal_yuan", low=0.01, cut=MAX_LOAN_YUAN)
    portfolio = Portfolio(
        loans=loans,
        principal_yuan=principal,
        rows=rows,
        rate=rate,
        term_years=t.integer("term_years", 1, low=1, high=30),
        pledge_rate=pledge_rate,
        growth=t.number("growth", 0.0, low=0, high=10),
        banks=_banks(t, rows),
        size_bands_yuan=_size_bands(t),
    )
    t.done()
    return portfolio


def _banks(t: Table, rows: tuple[LoanRow, ...] | None) -> tuple[Bank, ...]:
    """[[portfolio.banks]] of a generated book, or the bank column of a file's."""
    if rows is not None:
        if t.has("banks"):
            raise ScenarioError(
                t.key("banks"), "a loan file names each loan's bank in its bank column"
            )
        names = list(dict.fromkeys(row.bank for row in rows))
        return () if names == ["all"] else tuple(Bank(name, Fraction(0)) for name in names)
    raw = t.raw("banks", [])
    if not isinstance(raw, list):
        raise ScenarioError(t.key("banks"), "must be a list of tables ([[portfolio.banks]])")
    banks = []
    for i, item in enumerate(raw):
        bank_table = Table(item, f"{t.key('banks')}[{i}]")
        banks.append(Bank(bank_table.text("name"), bank_table.share("share")))
        bank_table.done()
    if banks and sum(bank.share for bank in banks) != 1:
        raise ScenarioError(
            t.key("banks"), f"shares add up to {float(sum(b.share for b in banks)):g}, not 1"
        )
    if len({bank.name for bank in banks}) < len(banks):
        raise ScenarioError(t.key("banks"), "bank names must be unique")
    return tuple(banks)


def _size_bands(t: Table) -> tuple[float, ...]:
    """Upper edges of the loan-size bands, in yuan, strictly increasing."""
    raw = t.raw("size_bands_yuan", [5_000_000, 10_000_000])
    if (
        not isinstance(raw, list)
        or not raw
        or len(raw) > 20
        or any(isinstance(v, bool) or not isinstance(v, int | float) for v in raw)
        or any(not 0 < v <= MAX_LOAN_YUAN for v in raw)
        or any(b <= a for a, b in zip(raw, raw[1:], strict=False))
    ):
        raise ScenarioError(
            t.key("size_bands_yuan"),
            f"must be 1 to 20 increasing amounts of yuan in (0, {MAX_LOAN_YUAN:,}] (got {raw!r})",
        )
    return tuple(float(v) for v in raw)


def _read_loans(
    t: Table, path: Path, default: DefaultModel, rate: float, pledge_rate: float
) -> tuple[LoanRow, ...]:
    key = t.key("file")
    if not path.is_file():
        raise ScenarioError(key, f"no such loan file: {path}")
    names = {segment.name for segment in default.segments}
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                principal = float(row["principal_yuan"])
                loan_rate = float(row.get("rate") or rate)
                loan_pledge = float(row.get("pledge_rate") or pledge_rate)
            except (KeyError, TypeError, ValueError) as exc:
                raise ScenarioError(
                    key, f"line {number}: needs a numeric principal_yuan column"
                ) from exc
            segment = row.get("segment") or default.segments[0].name
            if segment not in names or (not row.get("segment") and len(names) > 1):
                raise ScenarioError(
                    key, f"line {number}: segment {segment!r} is not one of [default] segments"
                )
            if not (
                0 < principal <= MAX_LOAN_YUAN and 0 <= loan_rate <= 1 and 0 < loan_pledge <= 1
            ):
                raise ScenarioError(
                    key,
                    f"line {number}: principal must be > 0 and at most {MAX_LOAN_YUAN:,}, "
                    "rate in [0, 1], pledge_rate in (0, 1]",
                )
            bank = (row.get("bank") or "all").strip() or "all"
            rows.append(LoanRow(yuan_to_fen(principal), segment, loan_rate, loan_pledge, bank))
    if not rows:
        raise ScenarioError(key, f"{path} holds no loans")
    return tuple(rows)


def _default(t: Table) -> DefaultModel:
    if t.has("pd_annual") == t.has("segments"):
        raise ScenarioError(
            t.key("pd_annual"), "give either pd_annual or [[default.segments]], not both or neither"
        )
    if t.has("pd_annual"):
        segments: tuple[Segment, ...] = (
            Segment("all", Fraction(1), t.number("pd_annual", low=0, high=1)),
        )
    else:
        raw = t.raw("segments")
        if not isinstance(raw, list) or not raw:
            raise ScenarioError(t.key("segments"), "must be a non-empty list of tables")
        segments = tuple(
            _segment(Table(item, f"{t.key('segments')}[{i}]")) for i, item in enumerate(raw)
        )
        if sum(s.share for s in segments) != 1:
            raise ScenarioError(
                t.key("segments"),
                f"shares add up to {float(sum(s.share for s in segments)):g}, not 1",
            )
        if len({s.name for s in segments}) < len(segments):
            raise ScenarioError(t.key("segments"), "segment names must be unique")
    copula = t.choice("copula", ("gaussian", "t"), "gaussian")
    freedom = None
    if copula == "t":
        freedom = t.number("degrees_of_freedom", low=1, high=1000)
    elif t.has("degrees_of_freedom"):
        raise ScenarioError(t.key("degrees_of_freedom"), 'applies only with copula = "t"')
    model = DefaultModel(
        segments,
        t.number("asset_correlation", 0.0, low=0, high=1, high_open=True),
        factor_correlation=_factor_correlation(t, [s.name for s in segments]),
        copula=copula,
        degrees_of_freedom=freedom,
    )
    t.done()
    return model


def _factor_correlation(t: Table, names: list[str]) -> tuple[tuple[float, ...], ...] | None:
    """The sectors' factor correlation matrix: square over the segments, symmetric, ones on the
    diagonal, entries in [-1, 1], positive definite (so it has a Cholesky factor)."""
    if not t.has("factor_correlation"):
        return None
    raw, key = t.raw("factor_correlation"), t.key("factor_correlation")
    size = len(names)
    if (
        not isinstance(raw, list)
        or len(raw) != size
        or any(not isinstance(row, list) or len(row) != size for row in raw)
        or any(isinstance(v, bool) or not isinstance(v, int | float) for row in raw for v in row)
    ):
        raise ScenarioError(
            key, f"must be a {size} x {size} matrix of numbers, a row per segment ({names})"
        )
    matrix = np.array(raw, dtype=float)
    if not np.all(np.isfinite(matrix)) or np.any(np.abs(matrix) > 1):
        raise ScenarioError(key, "entries must lie in [-1, 1]")
    if not np.array_equal(matrix, matrix.T) or np.any(np.diag(matrix) != 1):
        raise ScenarioError(key, "must be symmetric with ones on the diagonal")
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError as exc:
        raise ScenarioError(key, "must be positive definite (no sector a mix of others)") from exc
    return tuple(tuple(float(v) for v in row) for row in raw)


def _segment(t: Table) -> Segment:
    segment = Segment(t.text("name"), t.share("share"), t.number("pd_annual", low=0, high=1))
    t.done()
    return segment


def _recovery(t: Table) -> RecoveryModel:
    model = RecoveryModel(
        model=t.choice("model", ("auction", "rate"), "rate"),
        rate=t.distribution("rate", {"dist": "fixed", "value": 0.0}, low=0, high=1),
        costs_rate=t.share("costs_rate", 0),
        # a lognormal delay (what a calibration fits) is cut at a hundred years
        delay_days=t.distribution("delay_days", {"dist": "fixed", "value": 0}, low=0, cut=36500),
    )
    t.done()
    return model


def _auction(t: Table) -> AuctionModel:
    rules = DEFAULT_RULES
    operators = t.raw("operators", "unlimited")
    if operators != "unlimited" and (
        isinstance(operators, bool) or not isinstance(operators, int) or operators < 1
    ):
        raise ScenarioError(
            t.key("operators"), f'must be a whole number >= 1 or "unlimited" (got {operators!r})'
        )
    model = AuctionModel(
        start_share=t.number(
            "start_share", float(rules.min_start_share), low=0, high=10, low_open=True
        ),
        cut=t.number("cut", float(rules.max_price_cut), low=0, high=1, high_open=True),
        rounds=t.integer("rounds", rules.failed_rounds_before_negotiated_sale, low=1, high=10),
        bidders_mean=t.number("bidders_mean", 2.5, low=0, high=1000),
        bidder_count=t.choice("bidder_count", ("poisson", "fixed"), "poisson"),
        values=t.choice("values", ("lognormal", "uniform"), "lognormal"),
        value_sigma=t.number("value_sigma", 0.5, low=0, high=5),
        macro_sensitivity=t.number("macro_sensitivity", 0.2, low=0, high=5),
        filing_days=t.number("filing_days", 30, low=0, high=3650),
        notice_days=t.number("notice_days", rules.notice_days, low=0, high=3650),
        renotice_days=t.number("renotice_days", 15, low=0, high=3650),
        round_days=t.number("round_days", 1 + rules.winner_payment_days, low=0, high=3650),
        negotiated_days=t.number("negotiated_days", rules.negotiated_sale_days, low=0, high=3650),
        fallback=t.choice("fallback", ("licence", "conversion", "none"), "licence"),
        fallback_share=t.number("fallback_share", 0.1, low=0, high=1),
        fallback_days=t.number("fallback_days", 180, low=0, high=3650),
        operators=None if operators == "unlimited" else operators,
    )
    if model.bidder_count == "fixed" and model.bidders_mean != int(model.bidders_mean):
        raise ScenarioError(
            t.key("bidders_mean"), "must be a whole number when bidder_count is fixed"
        )
    _check_against_rules(t, model)
    t.done()
    return model


def _check_against_rules(t: Table, model: AuctionModel) -> None:
    """The simulated centre follows market/domain/rules.py: the same start floor and cut limit."""
    appraised = 10**8
    first = math.ceil(appraised * model.start_share)
    try:
        check_start_price(first, appraised_value_fen=appraised, previous_start_fen=None)
    except RuleBroken as exc:
        raise ScenarioError(t.key("start_share"), str(exc)) from exc
    try:
        check_start_price(
            math.ceil(first * (1 - model.cut)),
            appraised_value_fen=appraised,
            previous_start_fen=first,
        )
    except RuleBroken as exc:
        raise ScenarioError(t.key("cut"), str(exc)) from exc


def _layers(t: Table) -> LayerShares:
    names = ("bank", "guarantor", "insurer", "agency", "reguarantee", "reinsurance")
    values = {name: t.share(name, 0) for name in names}
    try:
        shares = LayerShares(**values)
    except LossRuleBroken as exc:
        raise ScenarioError(t.prefix, str(exc)) from exc
    t.done()
    return shares


def _compensation(t: Table, portfolio: Portfolio) -> CompensationModel:
    ratio_raw = t.raw("ratio", 0)
    if isinstance(ratio_raw, dict):
        ratios = t.table("ratio")
        ratio = {layer: ratios.share(layer.value, 0) for layer in LAYERS}
        ratios.done()
    else:
        ratio = {layer: t.share("ratio") for layer in LAYERS}
    caps = t.table("cap_per_layer_yuan")
    per_layer = {layer: caps.yuan(layer.value) for layer in LAYERS if caps.has(layer.value)}
    caps.done()
    claim_days = t.raw("claim_days", None)
    model = CompensationModel(
        policy=CompensationPolicy(
            ratio,
            per_layer,
            cap_per_loan_fen=t.yuan("cap_per_loan_yuan", None),
            cap_per_institution_year_fen=t.yuan("cap_per_institution_year_yuan", None),
        ),
        annual_budget_fen=t.yuan("annual_budget_yuan", None),
        initial_balance_fen=t.yuan("initial_balance_yuan", None),
        annual_contribution_fen=t.yuan("annual_contribution_yuan", 0) or 0,
        shortfall=Shortfall(t.choice("shortfall", ("wait", "lapse"), "wait")),
        claim_days=None if claim_days is None else t.number("claim_days", low=0, high=3650),
        payment_lag_days=t.number("payment_lag_days", 0, low=0, high=3650),
        settlements_per_year=t.integer("settlements_per_year", 4, low=1, high=365),
        joint_pot=t.boolean("joint_pot", False),
        levers=_levers(t, portfolio),
    )
    t.done()
    return model


def _levers(t: Table, portfolio: Portfolio) -> PolicyLevers:
    """[compensation] ratio_by_size_band, ratio_by_bank, annual_cap_yuan, stop_loss_share and
    stop_loss_resume (market/domain/levers.py)."""
    edges = portfolio.size_bands_yuan
    ratios = t.raw("ratio_by_size_band", [])
    if not isinstance(ratios, list) or (ratios and len(ratios) != len(edges) + 1):
        raise ScenarioError(
            t.key("ratio_by_size_band"),
            f"must be a list of {len(edges) + 1} ratios, one per size band of "
            f"[portfolio] size_bands_yuan {list(edges)} and one above (got {ratios!r})",
        )
    by_band = tuple(_ratio(t, "ratio_by_size_band", r) for r in ratios)
    banks = t.raw("ratio_by_bank", {})
    if not isinstance(banks, dict):
        raise ScenarioError(t.key("ratio_by_bank"), "must be a table of bank = ratio")
    for name in banks:
        if name not in portfolio.bank_names:
            raise ScenarioError(
                f"{t.key('ratio_by_bank')}.{name}",
                f"is not one of the banks {list(portfolio.bank_names)} ([[portfolio.banks]] or "
                "the loan file's bank column)",
            )
    by_bank = {name: _ratio(t, f"ratio_by_bank.{name}", r) for name, r in banks.items()}
    stop_loss = t.share("stop_loss_share", None) if t.has("stop_loss_share") else None
    resume = t.choice("stop_loss_resume", ("year_end", "below"), "year_end")
    if t.has("stop_loss_resume") and stop_loss is None:
        raise ScenarioError(t.key("stop_loss_resume"), "applies only with stop_loss_share")
    return PolicyLevers(
        size_band_edges_fen=tuple(yuan_to_fen(edge) for edge in edges),
        size_band_ratios=by_band,
        bank_ratios=by_bank,
        annual_cap_fen=t.yuan("annual_cap_yuan", None),
        stop_loss_share=stop_loss,
        stop_loss_resume=StopLossResume(resume),
    )


def _ratio(t: Table, key: str, value: object) -> Fraction:
    try:
        return exact_share(value, key)
    except LossRuleBroken as exc:
        raise ScenarioError(t.key(key), f"must be a number between 0 and 1 (got {value!r})") from exc


def _subsidy(t: Table, default: DefaultModel, joint_pot: bool) -> SubsidyModel:
    names = [segment.name for segment in default.segments]
    segments = t.raw("eligible_segments", [])
    if not isinstance(segments, list) or any(name not in names for name in segments):
        raise ScenarioError(
            t.key("eligible_segments"), f"must be a list of [default] segment names ({names})"
        )
    model = SubsidyModel(
        interest_share=t.share("interest_share", 0),
        interest_cap_fen=t.yuan("interest_cap_yuan", None),
        appraisal_fee_rate=t.number("appraisal_fee_rate", 0.0, low=0, high=1),
        appraisal_fee_share=t.share("appraisal_fee_share", 0),
        appraisal_fee_cap_fen=t.yuan("appraisal_fee_cap_yuan", None),
        premium_rate=t.number("premium_rate", 0.0, low=0, high=1),
        premium_share=t.share("premium_share", 0),
        premium_cap_fen=t.yuan("premium_cap_yuan", None),
        eligible_share=t.share("eligible_share", 1),
        eligible_segments=tuple(segments),
        annual_budget_fen=t.yuan("annual_budget_yuan", None),
    )
    if joint_pot and model.annual_budget_fen is not None:
        raise ScenarioError(
            t.key("annual_budget_yuan"),
            "the fund pays the subsidies ([compensation] joint_pot = true): give its budget only there",
        )
    t.done()
    return model
