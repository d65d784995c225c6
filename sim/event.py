"""The event engine (SimPy): one environment per path, where timing and trading-centre capacity matter.

Actors: the economy (draws each year's factor and which loans default), each defaulted loan's case, the
trading centre (operators are a simpy.Resource: filing, queue, notice, rounds, negotiated sale,
licence or conversion), the bank filing claims, and the bureau settling on the fund's calendar. The
environment runs until every case is disposed of; the bureau stops at the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from market.domain.loss import LAYERS, compute_claims
from sim.auction import auction_round, negotiated_sale, start_share_of_round
from sim.compensation import to_fen
from sim.model import Scenario
from sim.office import FundOffice
from sim.portfolio import LoanBook, default_threshold
from sim.recovery import (
    auction_design,
    dispose,
    fallback_price_share,
    macro_scale,
    principal_loss_fen,
    unpaid_interest_fen,
)
from sim.results import PathTotals
from sim.settlement import DAYS_PER_YEAR, FundRules, settlement_batch, settlement_day

STREAMS = ("factor", "defaults", "timing")


@dataclass
class World:
    """Everything the processes of one path share; the tallies are filled in as the path runs."""

    scenario: Scenario
    book: LoanBook
    rng: dict[str, np.random.Generator]
    # each case draws from its own child: queues do not reorder draws
    case_seeds: np.random.SeedSequence
    centre: simpy.Resource | None
    office: FundOffice
    years: int
    defaults: np.ndarray = field(init=False)
    exposure: np.ndarray = field(init=False)
    loss: np.ndarray = field(init=False)
    subsidy: np.ndarray = field(init=False)
    disposal_days: list[float] = field(default_factory=list)
    queue_days: list[float] = field(default_factory=list)
    cases: int = 0

    def __post_init__(self) -> None:
        self.defaults, self.exposure, self.loss, self.subsidy = (
            np.zeros(self.years, dtype=np.int64) for _ in range(4)
        )


def run_block(
    scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence, n_paths: int
) -> PathTotals:
    """Simulate a block of paths, each with its own seeds spawned from the block's."""
    return PathTotals.concat(
        [run_path(scenario, book, path_seed) for path_seed in seed.spawn(n_paths)]
    )


def run_path(scenario: Scenario, book: LoanBook, seed: np.random.SeedSequence) -> PathTotals:
    """Simulate one path in its own SimPy environment."""
    env = simpy.Environment()
    operators = scenario.auction.operators
    world = World(
        scenario=scenario,
        book=book,
        rng=dict(
            zip(STREAMS, (np.random.default_rng(s) for s in seed.spawn(len(STREAMS))), strict=True)
        ),
        case_seeds=seed.spawn(1)[0],
        centre=None if operators is None else simpy.Resource(env, capacity=operators),
        office=FundOffice(FundRules.of(scenario.compensation, scenario.horizon_years)),
        years=scenario.horizon_years,
    )
    env.process(economy(env, world))
    env.process(bureau(env, world))
    env.run()
    office = world.office
    return PathTotals(
        defaults=world.defaults[None],
        exposure_fen=world.exposure[None],
        principal_loss_fen=world.loss[None],
        claims_fen=office.claims_fen[None],
        payout_fen=office.payout_fen[None],
        clawback_fen=office.clawback_fen[None],
        subsidy_fen=world.subsidy[None],
        balance_end_fen=office.balance_end_fen[None],
        budget_exhausted=office.budget_exhausted[None],
        waiting_fen=np.array([office.waiting_fen]),
        lapsed_fen=np.array([office.lapsed_fen]),
        pending_fen=np.array([office.pending_fen]),
        disposals=np.array([world.cases]),
        disposal_days=np.array([sum(world.disposal_days)]),
        queue_days=np.array([sum(world.queue_days)]),
    )


def economy(env: simpy.Environment, world: World):
    """Each year: new loans join, Z is drawn, each performing loan defaults if its asset value falls short."""
    book, model = world.book, world.scenario.default
    threshold = np.array([default_threshold(s.pd_annual) for s in model.segments])[book.segment]
    r = model.asset_correlation
    performing = np.zeros(0, dtype=np.int64)
    for year in range(world.years):
        yield env.timeout(year * DAYS_PER_YEAR - env.now)
        performing = np.r_[performing, np.flatnonzero(book.vintage == year)]
        world.exposure[year] = book.principal_fen[performing].sum()
        factor = world.rng["factor"].standard_normal()
        asset = np.sqrt(r) * factor + np.sqrt(1 - r) * world.rng["defaults"].standard_normal(
            performing.size
        )
        defaulted = asset < threshold[performing]
        for loan in performing[defaulted]:
            day = DAYS_PER_YEAR * (year + world.rng["timing"].random())
            env.process(defaulted_loan(env, world, int(loan), year, day, factor))
        world.defaults[year] = defaulted.sum()
        performing = performing[~defaulted]
        world.subsidy[year] = book.annual_subsidy_fen[performing].sum()


def defaulted_loan(
    env: simpy.Environment, world: World, loan: int, year: int, day: float, factor: float
):
    """A loan from default to loss: the centre disposes of it, the bank claims (early, or on the loss)."""
    yield env.timeout(day - env.now)
    world.cases += 1
    case, comp = world.cases, world.scenario.compensation
    early = None
    if comp.claim_days is not None:
        principal = int(world.book.principal_fen[loan])
        filing_day = day + comp.claim_days
        early = env.process(bank_files_before_recovery(env, world, case, principal, filing_day))
    rng = np.random.default_rng(world.case_seeds.spawn(1)[0])
    proceeds = yield env.process(trading_centre(env, world, rng, loan, factor))
    world.disposal_days.append(env.now - day)
    loss = loss_after_disposal(world, loan, year, day, proceeds)
    world.loss[year] += loss
    claims = compute_claims(loss, world.scenario.layers, comp.policy).by_layer()
    filed_early = early is not None and not early.is_alive and early.value
    if early is not None and early.is_alive:
        early.interrupt()  # the disposal ended first: the claim is filed on the final loss
    if filed_early:
        batch = int(settlement_batch(env.now, comp.settlements_per_year))
        for j, layer in enumerate(LAYERS):
            if (case, j) in world.office.due:  # lower the claim filed on the whole principal
                world.office.revise((case, j), claims[layer], batch)
    else:
        bank_files(world, case, claims, env.now)


def loss_after_disposal(world: World, loan: int, year: int, day: float, proceeds: int) -> int:
    """Principal loss once the proceeds have paid costs, then the interest accrued this year, then principal."""
    principal = world.book.principal_fen[loan : loan + 1]
    year_fraction = np.array([day / DAYS_PER_YEAR - year])
    interest = unpaid_interest_fen(principal, world.book.rate[loan], year_fraction)
    return int(principal_loss_fen(world.scenario, np.array([proceeds]), interest, principal)[0])


def bank_files_before_recovery(
    env: simpy.Environment, world: World, case: int, principal: int, filing_day: float
):
    """The bank files its claim `claim_days` after default if nothing has been recovered by then."""
    try:
        yield env.timeout(filing_day - env.now)
        yield env.timeout(0)  # let a disposal ending at this very moment close first
    except simpy.Interrupt:
        return False
    policy = world.scenario.compensation.policy
    bank_files(
        world, case, compute_claims(principal, world.scenario.layers, policy).by_layer(), env.now
    )
    return True


def bank_files(world: World, case: int, claims: dict, day: float) -> None:
    """File each layer's positive claim; it is approved after the payment lag, at the next settlement."""
    comp = world.scenario.compensation
    approve_day = day + comp.payment_lag_days
    batch = int(settlement_batch(approve_day, comp.settlements_per_year))
    for j, layer in enumerate(LAYERS):
        if claims[layer] > 0:
            world.office.file((case, j), j, claims[layer], batch, order=(approve_day, case, j))


def trading_centre(
    env: simpy.Environment, world: World, rng: np.random.Generator, loan: int, factor: float
):
    """Dispose of a loan's pledged IP; the process's value is the gross proceeds in fen."""
    scenario = world.scenario
    principal = world.book.principal_fen[loan : loan + 1]
    appraised = world.book.appraised_fen(np.array([loan]))
    if scenario.recovery.model == "rate":
        disposal = dispose(rng, scenario, principal, appraised, np.array([factor]))
        yield env.timeout(float(disposal.filing_days[0]))
        return int(disposal.proceeds_fen[0])
    auction = scenario.auction
    yield env.timeout(auction.filing_days)
    asked = env.now
    if world.centre is None:
        price_share = yield env.process(operator(env, world, rng, factor))
    else:
        with world.centre.request() as turn:
            yield turn
            world.queue_days.append(env.now - asked)
            price_share = yield env.process(operator(env, world, rng, factor))
    return int(to_fen(price_share * appraised[0]))


def operator(env: simpy.Environment, world: World, rng: np.random.Generator, factor: float):
    """An operator works a case: notice, auction rounds, negotiated sale, then licence or conversion."""
    auction = world.scenario.auction
    design = auction_design(auction)
    scale = macro_scale(np.array([factor]), auction.macro_sensitivity)
    yield env.timeout(auction.notice_days)
    for round_number in range(1, auction.rounds + 1):
        if round_number > 1:
            yield env.timeout(auction.renotice_days)
        yield env.timeout(auction.round_days)
        start = np.array([start_share_of_round(design, round_number)])
        sold, price = auction_round(rng, start, scale, design.bidding)
        if sold[0]:
            return float(price[0])
    if design.negotiated_sale:
        yield env.timeout(auction.negotiated_days)
        if negotiated_sale(rng, start, scale, design.bidding)[0]:
            return float(start[0])
    if auction.fallback == "none":
        return 0.0
    yield env.timeout(auction.fallback_days)
    return float(fallback_price_share(auction, scale)[0])


def bureau(env: simpy.Environment, world: World):
    """The finance bureau settles claims on its calendar until the horizon."""
    per_year = world.scenario.compensation.settlements_per_year
    for batch in range(1, world.years * per_year + 1):
        yield env.timeout(settlement_day(batch, per_year) - env.now)
        yield env.timeout(0)  # claims filed at this very moment are in time
        world.office.settle(batch)
