"""Fit the scenario's disposal assumptions to the marketplace's own closed cases.

The marketplace reads its disposed cases into the plain records below (market/services/calibration.py);
`fit` turns them into one `Fitted` quantity per figure the bureau asked for: the estimator, its value,
an interval (an exact binomial interval for proportions, a bootstrap for the rest), the number of
observations and of cases behind it and their date range. A quantity fitted from fewer than MIN_CASES
cases is flagged and does not replace the scenario's own assumption unless forced.

The rounds of one case are not independent observations (the same asset, the same market), so where a
case gives a quantity more than one observation the interval resamples whole cases (a cluster
bootstrap), never single rounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
from scipy import optimize, stats

MIN_CASES = 30
LEVEL = 0.95
RESAMPLES = 999
SIGMA_RESAMPLES = 199  # each resample re-runs the likelihood maximisation
FALLBACK_CHANNELS = {"licensing": "licence", "conversion": "conversion", "claim_transfer": "conversion"}


@dataclass(frozen=True)
class RoundRecord:
    """One auction round of a case: its start price as a share of the appraisal, who registered, how it ended."""

    round_no: int
    start_share: float
    bidders: int
    sold: bool
    price_share: float | None  # hammer price / appraisal when sold
    days: float  # bidding opened -> the price paid (sold) or the round closed (failed)
    days_since_previous: float  # the notice or the previous round's close -> bidding opened
    defaulted: bool = False  # it had a winner who did not pay (the round counts as failed; its bid still tells)

    @property
    def had_valid_bid(self) -> bool:
        """Some bidder valued the asset at the start price or more (sold, or won by a winner who defaulted)."""
        return self.sold or self.defaulted


@dataclass(frozen=True)
class CaseRecord:
    """A disposed case as the calibration reads it: amounts in fen, times in UTC."""

    kind: str
    channel: str  # the channel that disposed of it: auction, negotiated_sale, licensing, conversion, claim_transfer
    appraised_fen: int
    principal_fen: int
    recovery_fen: int
    defaulted_on: date | None
    filed_at: datetime
    notice_at: datetime | None
    disposed_at: datetime
    rounds: tuple[RoundRecord, ...] = ()
    negotiated: bool | None = None  # None: no negotiated sale tried; else whether it sold
    negotiated_days: float | None = None  # last round closed -> sale agreed or lapsed
    fallback_days: float | None = None  # licence / conversion / claim transfer opened -> disposed
    channel_opened_at: datetime | None = None  # the first round or channel after the notice
    settled_at: datetime | None = None
    gross_proceeds_fen: int | None = None  # from the settlement statement
    costs_fen: int | None = None
    to_principal_fen: int | None = None
    operator_actions: int = 0  # case moves the operators made


@dataclass(frozen=True)
class Fitted:
    """One calibrated quantity: where it goes in a scenario (None: reported only) and how sure it is."""

    name: str
    label: str
    key: str | None
    estimator: str
    value: float
    interval: tuple[float, float]
    interval_method: str
    n: int  # the cases behind it
    observations: int  # rounds, sales, cases: what `unit` names
    unit: str
    first: date | None
    last: date | None
    extra: dict | None = None  # e.g. a distribution's second parameter

    @property
    def flagged(self) -> bool:
        """Too few cases to replace the scenario's assumption."""
        return self.n < MIN_CASES


@dataclass(frozen=True)
class Calibration:
    """Everything fitted from one set of cases, with the notes on what the model cannot express."""

    cases: int
    first: date | None
    last: date | None
    quantities: tuple[Fitted, ...]
    notes: tuple[str, ...]
    level: float = LEVEL  # of every interval

    def get(self, name: str) -> Fitted | None:
        """The quantity of that name, if it could be fitted at all."""
        return next((q for q in self.quantities if q.name == name), None)


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86_400


def _span(cases: Sequence[CaseRecord]) -> tuple[date | None, date | None]:
    if not cases:
        return None, None
    dates = [c.disposed_at.date() for c in cases]
    return min(dates), max(dates)


def mean_interval(
    values: Sequence[float], rng: np.random.Generator, level: float = LEVEL, clusters: Sequence | None = None
) -> tuple[float, tuple[float, float]]:
    """The sample mean and its bootstrap (BCa) interval; a constant sample's interval is the point.

    With `clusters` (one label per value: the case it came from), when some case gave more than one
    value, whole cases are resampled (`cluster_mean_interval`).
    """
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if data.size < 2 or np.ptp(data) == 0:
        return mean, (mean, mean)
    if clusters is not None and len(set(clusters)) < len(clusters):
        return mean, cluster_mean_interval(data, clusters, rng, level)[1]
    result = stats.bootstrap((data,), np.mean, confidence_level=level, n_resamples=RESAMPLES,
                             method="BCa", rng=rng)
    return mean, _finite(result.confidence_interval, mean)


def cluster_mean_interval(
    values: Sequence[float], clusters: Sequence, rng: np.random.Generator, level: float = LEVEL
) -> tuple[float, tuple[float, float]]:
    """The mean over all observations, with a cluster bootstrap interval: whole clusters (cases) are drawn
    with replacement and the mean of their observations taken, so correlated rounds of one case widen it."""
    data = np.asarray(values, dtype=float)
    label: dict = {}
    group = np.array([label.setdefault(c, len(label)) for c in clusters])
    sums = np.bincount(group, weights=data)
    counts = np.bincount(group).astype(float)
    return ratio_interval(sums, counts, rng, level, method="BCa")


def ratio_interval(
    numerator: Sequence[float], denominator: Sequence[float], rng: np.random.Generator, level: float = LEVEL,
    method: str = "percentile",
) -> tuple[float, tuple[float, float]]:
    """Σ numerator ÷ Σ denominator over cases, with a paired bootstrap interval (cases resampled)."""
    top, bottom = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    value = float(top.sum() / bottom.sum())
    if top.size < 2 or np.ptp(top / bottom) == 0:
        return value, (value, value)

    def ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return a.sum(axis=axis) / b.sum(axis=axis)

    result = stats.bootstrap((top, bottom), ratio, paired=True, vectorized=True, confidence_level=level,
                             n_resamples=RESAMPLES, method=method, rng=rng)
    return value, _finite(result.confidence_interval, value)


def proportion_interval(successes: int, trials: int, level: float = LEVEL) -> tuple[float, tuple[float, float]]:
    """A proportion and its exact (Clopper-Pearson) interval."""
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return successes / trials, (float(ci.low), float(ci.high))


def _finite(ci, fallback: float) -> tuple[float, float]:
    low, high = float(ci.low), float(ci.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        return fallback, fallback
    return low, high


def value_sigma_mle(start_shares: np.ndarray, bidders: np.ndarray, failed: np.ndarray) -> float:
    """The sigma of bidders' lognormal values (share of appraisal) that makes the rounds' failures likeliest.

    With n registered bidders and values appraisal × lognormal(0, sigma), a round at start share s fails
    when every value is below s: probability Φ(ln s / sigma)^n (the simulator's bidder model, sim/auction.py).
    Rounds without bidders say nothing about sigma and are left out by the caller.
    """
    log_start = np.log(start_shares)

    def minus_log_likelihood(log_sigma: float) -> float:
        below = stats.norm.logcdf(log_start / math.exp(log_sigma)) * bidders
        # log(1 - p) computed as log(-expm1(log p)), exact for p near 1
        sold = np.log(-np.expm1(np.minimum(below, -1e-300)))
        return -float(np.sum(np.where(failed, below, sold)))

    best = optimize.minimize_scalar(minus_log_likelihood, bounds=(math.log(0.01), math.log(5)),
                                    method="bounded", options={"xatol": 1e-6})
    return math.exp(best.x)


def _sigma_interval(
    rounds: Sequence[RoundRecord], cases: Sequence, rng: np.random.Generator, level: float
) -> tuple[float, tuple[float, float]]:
    """sigma's maximum likelihood and a percentile bootstrap over whole cases (`cases`: each round's case)."""
    starts = np.array([r.start_share for r in rounds])
    counts = np.array([r.bidders for r in rounds], dtype=float)
    failed = np.array([not r.had_valid_bid for r in rounds])
    value = value_sigma_mle(starts, counts, failed)
    if failed.all() or not failed.any():
        return value, (value, value)  # the likelihood has no interior maximum to resample
    label: dict = {}
    group = np.array([label.setdefault(c, len(label)) for c in cases])
    rows_of = [np.flatnonzero(group == g) for g in range(len(label))]

    def sigma_of_cases(chosen: np.ndarray) -> float:
        rows = np.concatenate([rows_of[g] for g in chosen])
        return value_sigma_mle(starts[rows], counts[rows], failed[rows])

    result = stats.bootstrap((np.arange(len(rows_of)),), sigma_of_cases, vectorized=False,
                             confidence_level=level, n_resamples=SIGMA_RESAMPLES, method="percentile", rng=rng)
    return value, _finite(result.confidence_interval, value)


def _by_case(method: str) -> str:
    return f"cluster {method} (whole cases resampled)"


class _Fitter:
    """Collects the fitted quantities in the order the report shows them."""

    def __init__(self, rng: np.random.Generator, level: float):
        self.rng, self.level, self.quantities = rng, level, []

    def mean(self, name, label, key, unit, estimator, pairs: list[tuple[float, CaseRecord]], **extra) -> None:
        if not pairs:
            return
        clusters = [id(c) for _, c in pairs]
        value, interval = mean_interval([v for v, _ in pairs], self.rng, self.level, clusters)
        method = f"bootstrap BCa, {RESAMPLES} resamples"
        self.add(name, label, key, unit, estimator, value, interval,
                 _by_case(method) if len(set(clusters)) < len(clusters) else method, [c for _, c in pairs], **extra)

    def proportion(self, name, label, unit, hits: list[tuple[bool, CaseRecord]], key=None) -> None:
        """A share of observations: exact binomial when each case gives one, else a cluster bootstrap."""
        if not hits:
            return
        clusters = [id(c) for _, c in hits]
        if len(set(clusters)) < len(clusters) and len({h for h, _ in hits}) > 1:
            value, interval = cluster_mean_interval([float(h) for h, _ in hits], clusters, self.rng, self.level)
            method = _by_case(f"bootstrap BCa, {RESAMPLES} resamples")
        else:
            value, interval = proportion_interval(sum(h for h, _ in hits), len(hits), self.level)
            method = "exact binomial (Clopper-Pearson)"
        self.add(name, label, key, unit, "share of observations", value, interval, method, [c for _, c in hits])

    def add(self, name, label, key, unit, estimator, value, interval, method, cases, **extra) -> None:
        """Record one quantity fitted from the observations of `cases` (one entry per observation)."""
        first, last = _span(cases)
        distinct = len({id(case) for case in cases})
        self.quantities.append(Fitted(name, label, key, estimator, value, interval, method, distinct, len(cases),
                                      unit, first, last, extra or None))


def fit(cases: Sequence[CaseRecord], seed: int = 0, level: float = LEVEL) -> Calibration:
    """Every quantity the cases can tell (those with no observation at all are left out), each interval at
    `level`; the bootstrap draws from `seed`, so the same cases give the same fragment."""
    fitter = _Fitter(np.random.default_rng(seed), level)
    rounds = [(r, c) for c in cases for r in c.rounds]
    _fit_auctions(fitter, rounds, cases)
    _fit_channels(fitter, cases)
    _fit_money(fitter, cases)
    _fit_times(fitter, cases, rounds)
    first, last = _span(cases)
    return Calibration(len(cases), first, last, tuple(fitter.quantities), _notes(cases, fitter), level)


def _fit_auctions(fitter: _Fitter, rounds: list[tuple[RoundRecord, CaseRecord]], cases: Sequence[CaseRecord]):
    fitter.mean("bidders_per_round", "registered bidders per auction round", "auction.bidders_mean", "rounds",
                "sample mean (the Poisson mean's maximum likelihood)", [(r.bidders, c) for r, c in rounds])
    informative = [(r, c) for r, c in rounds if r.bidders > 0]
    if informative:
        value, interval = _sigma_interval([r for r, _ in informative], [id(c) for _, c in informative],
                                          fitter.rng, fitter.level)
        fitter.add("value_sigma", "spread of bidders' values (sigma of log value ÷ appraisal)",
                   "auction.value_sigma", "rounds with bidders",
                   "maximum likelihood of which rounds had no valid bid, given their bidders and start prices",
                   value, interval, _by_case(f"bootstrap percentile, {SIGMA_RESAMPLES} resamples"),
                   [c for _, c in informative])
    fitter.proportion("first_round_fails", "probability the first auction fails (no valid bid, or the winner "
                      "did not pay)", "first rounds", [(not r.sold, c) for r, c in rounds if r.round_no == 1])
    fitter.proportion("rerun_fails", "probability a re-auction fails", "re-auctions",
                      [(not r.sold, c) for r, c in rounds if r.round_no > 1])
    fitter.proportion("winner_defaults", "probability a round's winner does not pay (the round is re-run)",
                      "rounds won", [(r.defaulted, c) for r, c in rounds if r.had_valid_bid])
    fitter.mean("price_first_auction", "sale price ÷ appraisal, first auction", None, "rounds sold",
                "sample mean", [(r.price_share, c) for r, c in rounds if r.sold and r.round_no == 1])
    fitter.mean("price_reauction", "sale price ÷ appraisal, re-auction", None, "rounds sold",
                "sample mean", [(r.price_share, c) for r, c in rounds if r.sold and r.round_no > 1])
    fitter.mean("price_negotiated", "sale price ÷ appraisal, negotiated sale", None, "cases",
                "sample mean", [(c.recovery_fen / c.appraised_fen, c) for c in cases
                                if c.channel == "negotiated_sale"])
    fitter.proportion("negotiated_sale_sells", "probability a negotiated sale finds a buyer", "negotiated sales",
                      [(c.negotiated, c) for c in cases if c.negotiated is not None])


def _fit_channels(fitter: _Fitter, cases: Sequence[CaseRecord]):
    for channel, label in (("auction", "auction"), ("negotiated_sale", "negotiated sale"),
                           ("licensing", "licence"), ("conversion", "conversion"),
                           ("claim_transfer", "claim transfer")):
        fitter.proportion(f"share_{channel}", f"share of cases disposed of by {label}", "cases",
                          [(c.channel == channel, c) for c in cases])
    fitter.mean("fallback_share", "licence / conversion / claim transfer: recovery ÷ appraisal",
                "auction.fallback_share", "cases", "sample mean",
                [(c.recovery_fen / c.appraised_fen, c) for c in cases if c.channel in FALLBACK_CHANNELS])


def _fit_money(fitter: _Fitter, cases: Sequence[CaseRecord]):
    settled = [c for c in cases if c.gross_proceeds_fen]
    if settled:
        value, interval = ratio_interval([c.costs_fen for c in settled], [c.gross_proceeds_fen for c in settled],
                                         fitter.rng, fitter.level)
        fitter.add("costs_rate", "disposal costs ÷ gross proceeds", "recovery.costs_rate", "settled cases",
                    "ratio of sums over cases", value, interval, f"paired bootstrap percentile, {RESAMPLES} "
                    "resamples", settled)
    rates = [(c.to_principal_fen / c.principal_fen, c) for c in cases
             if c.to_principal_fen is not None and c.principal_fen > 0]
    sd = float(np.std([v for v, _ in rates], ddof=1)) if len(rates) > 1 else 0.0
    fitter.mean("recovery_rate", "recovery applied to principal ÷ principal outstanding", "recovery.rate",
                "settled cases", "sample mean (beta by moments)", rates, sd=sd)


def _fit_times(fitter: _Fitter, cases: Sequence[CaseRecord], rounds: list[tuple[RoundRecord, CaseRecord]]):
    days = "sample mean, days"
    fitter.mean("days_default_to_notice", "days from default to the notice", "auction.filing_days", "cases", days,
                [(_days(c.notice_at, _midnight(c.defaulted_on)), c) for c in cases
                 if c.defaulted_on and c.notice_at])
    fitter.mean("days_filing_to_notice", "days from filing to the notice", None, "cases", days,
                [(_days(c.notice_at, c.filed_at), c) for c in cases if c.notice_at])
    fitter.mean("days_notice", "days from the notice to the first round or channel", "auction.notice_days",
                "cases", days, [(_days(c.channel_opened_at, c.notice_at), c) for c in cases
                                if c.notice_at and c.channel_opened_at])
    fitter.mean("days_round", "days a round takes (bidding to payment or failure)", "auction.round_days",
                "rounds", days, [(r.days, c) for r, c in rounds])
    fitter.mean("days_between_rounds", "days from a failed round to the next", "auction.renotice_days",
                "re-auctions", days, [(r.days_since_previous, c) for r, c in rounds if r.round_no > 1])
    fitter.mean("days_negotiated", "days a negotiated sale takes (agreed or lapsed)", "auction.negotiated_days",
                "negotiated sales", days, [(c.negotiated_days, c) for c in cases if c.negotiated_days is not None])
    fitter.mean("days_fallback", "days a licence, conversion or claim transfer takes", "auction.fallback_days",
                "cases", days, [(c.fallback_days, c) for c in cases if c.fallback_days is not None])
    fitter.mean("days_notice_to_disposal", "days from the notice to disposal (an operator's days on a case)",
                None, "cases", days, [(_days(c.disposed_at, c.notice_at), c) for c in cases if c.notice_at])
    fitter.mean("days_disposal_to_payment", "days from disposal to paying out the proceeds (settlement)", None,
                "settled cases", days, [(_days(c.settled_at, c.disposed_at), c) for c in cases if c.settled_at])
    delays = [(_days(c.settled_at, _midnight(c.defaulted_on)), c) for c in cases
              if c.settled_at and c.defaulted_on]
    if delays:
        logs = np.log(np.maximum([v for v, _ in delays], 1.0))
        value, interval = mean_interval(logs, fitter.rng, fitter.level)
        fitter.add("delay_days", "days from default to cash (median; the rate model's delay)",
                    "recovery.delay_days", "settled cases", "lognormal: median = exp(mean log days)",
                    math.exp(value), (math.exp(interval[0]), math.exp(interval[1])),
                    f"bootstrap BCa, {RESAMPLES} resamples", [c for _, c in delays],
                    sigma=float(np.std(logs, ddof=1)) if len(logs) > 1 else 0.0)
    fitter.mean("operator_actions", "operator actions per case (workload)", None, "cases", "sample mean",
                [(c.operator_actions, c) for c in cases])


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _notes(cases: Sequence[CaseRecord], fitter: _Fitter) -> tuple[str, ...]:
    """What the simulator's model cannot express about these cases, said rather than forced."""
    notes = []
    defaults = sum(r.defaulted for c in cases for r in c.rounds)
    if defaults:
        notes.append(
            f"{defaults} auction winners did not pay; the simulator has no winner default, so bidders_mean and "
            "value_sigma are fitted from the bids (a defaulted round had a valid bid) and the failure "
            "probabilities above, which count those rounds as failed, are reported beside them."
        )
    fallbacks = {c.channel for c in cases if c.channel in FALLBACK_CHANNELS}
    if len(fallbacks) > 1:
        notes.append(
            "The cases end in more than one of licence, conversion and claim transfer; the simulator has one "
            "fallback after the negotiated sale, so fallback_share pools them all."
        )
    early = sum(1 for c in cases if c.channel in FALLBACK_CHANNELS and not c.rounds)
    if early:
        notes.append(
            f"{early} cases went to a licence, conversion or claim transfer without any auction; the simulator "
            "always auctions first, so their share is not in the model."
        )
    by_kind = _rate_by_kind(cases)
    if len(by_kind) > 1:
        spread = ", ".join(f"{kind} {mean:.2f} (n={n})" for kind, (mean, n) in sorted(by_kind.items()))
        notes.append(
            "Recovery on principal by IP kind: " + spread + ". The simulator's recovery does not depend on the "
            "IP kind; export with --kind to calibrate a scenario for one kind."
        )
    notes.append(
        "Bidders' values are fitted without the economy's effect (macro_sensitivity needs many years of cases to "
        "tell apart from sigma), so the scenario's macro_sensitivity is kept."
    )
    notes.append(
        "The centre's capacity: operators is a staffing choice, not fitted; an operator's days on a case are "
        "days_notice_to_disposal, which the simulator builds from notice_days, round_days, renotice_days, "
        "negotiated_days and fallback_days."
    )
    return tuple(notes)


def _rate_by_kind(cases: Sequence[CaseRecord]) -> dict[str, tuple[float, int]]:
    groups: dict[str, list[float]] = {}
    for c in cases:
        if c.to_principal_fen is not None and c.principal_fen > 0:
            groups.setdefault(c.kind, []).append(c.to_principal_fen / c.principal_fen)
    return {kind: (float(np.mean(v)), len(v)) for kind, v in groups.items() if len(v) >= 5}

