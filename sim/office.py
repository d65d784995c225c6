"""The finance bureau's ledger for one path, claim by claim, on loss.py's Fund and pay_claims.

It follows the settlement calendar of sim/settlement.py; it is the reference the engines' NumPy twin
(`settlement.settle`) is tested against, to the fen.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from market.domain.loss import (
    LAYERS,
    ApprovedClaim,
    CompensationPolicy,
    Fund,
    Shortfall,
    cap_for_institution_year,
    pay_claims,
)
from sim.settlement import FundRules


class FundOffice:
    """Claims filed for approval at a settlement date, late revisions, and what the fund paid each year."""

    def __init__(self, rules: FundRules) -> None:
        self.rules = rules
        self.policy = CompensationPolicy(
            {}, cap_per_institution_year_fen=rules.institution_year_cap_fen
        )
        self.approved_this_year = [0] * len(LAYERS)  # each layer is one institution
        self.fund = Fund(balance_fen=rules.initial_balance_fen, budget_left_fen=0)
        self.due: dict[Hashable, int] = {}
        self.final_due: dict[Hashable, int] = {}
        self.paid: dict[Hashable, int] = {}
        self.layer: dict[Hashable, int] = {}
        self.approved: set[Hashable] = set()
        self.closed: set[Hashable] = set()
        self._approvals: dict[int, list[tuple[tuple, Hashable]]] = {}
        self._revisions: dict[int, list[Hashable]] = {}
        self.settled_upto = 0  # the last settlement date already held
        years, n_layers = rules.years, len(LAYERS)
        self.payout_fen = np.zeros((years, n_layers), dtype=np.int64)
        self.clawback_fen = np.zeros(years, dtype=np.int64)
        self.claims_fen = np.zeros(years, dtype=np.int64)
        self.balance_end_fen = np.zeros(years, dtype=np.int64)
        self.budget_exhausted = np.zeros(years, dtype=bool)

    def file(
        self, claim_id: Hashable, layer: int, amount_fen: int, approve_batch: int, order: tuple
    ) -> None:
        """A claim filed now, to be approved at a settlement date; `order` ranks approvals on the same date."""
        self.due[claim_id] = self.final_due[claim_id] = amount_fen
        self.paid[claim_id] = 0
        self.layer[claim_id] = layer
        self._approvals.setdefault(max(approve_batch, self.settled_upto + 1), []).append(
            (order, claim_id)
        )

    def revise(self, claim_id: Hashable, new_due_fen: int, batch: int) -> None:
        """A late recovery lowers a filed claim to `new_due_fen` (never raises it), at a settlement date."""
        self.final_due[claim_id] = min(new_due_fen, self.final_due[claim_id])
        self._revisions.setdefault(max(batch, self.settled_upto + 1), []).append(claim_id)

    def settle(self, batch: int) -> None:
        """One settlement date: new year, revisions (clawbacks), approvals, then payment in order of approval."""
        rules = self.rules
        self.settled_upto = batch
        year = (batch - 1) // rules.per_year
        if (batch - 1) % rules.per_year == 0:
            self.fund = self.fund.start_year(
                rules.budget_fen, rules.contribution_fen if year else 0
            )
            self.approved_this_year = [0] * len(LAYERS)
        for claim_id in self._revisions.pop(batch, []):
            self._apply_revision(claim_id, year)
        new = [
            claim_id
            for _, claim_id in sorted(self._approvals.pop(batch, []), key=lambda item: item[0])
        ]
        for claim_id in new:
            self._approve(claim_id)
        claims = [
            ApprovedClaim(claim_id, self.due[claim_id], LAYERS[self.layer[claim_id]])
            for claim_id in new
        ]
        self.claims_fen[year] += sum(claim.amount_fen for claim in claims)
        settlement = pay_claims(self.fund, claims, rules.shortfall)
        for payment in settlement.payments:
            self.paid[payment.claim_id] += payment.paid_fen
            self.payout_fen[year, self.layer[payment.claim_id]] += payment.paid_fen
        self.budget_exhausted[year] |= settlement.short
        if rules.shortfall is Shortfall.LAPSE:
            self.closed.update(new)
        self.fund = settlement.fund
        self.balance_end_fen[year] = self.fund.balance_fen

    def _approve(self, claim_id: Hashable) -> None:
        layer = self.layer[claim_id]
        due = cap_for_institution_year(
            self.due[claim_id], self.approved_this_year[layer], self.policy
        )
        self.due[claim_id] = due
        self.approved_this_year[layer] += due
        self.approved.add(claim_id)

    def _apply_revision(self, claim_id: Hashable, year: int) -> None:
        due = self.due[claim_id] = min(self.due[claim_id], self.final_due[claim_id])
        excess = max(0, self.paid[claim_id] - due)
        if excess:
            self.paid[claim_id] -= excess
            self.fund = self.fund.receive(excess)
            self.clawback_fen[year] += excess
        if claim_id in self.approved and claim_id not in self.closed:
            self.fund = self.fund.revise_waiting(claim_id, due - self.paid[claim_id])

    @property
    def waiting_fen(self) -> int:
        """Approved claims still owed."""
        return self.fund.waiting_fen

    @property
    def lapsed_fen(self) -> int:
        """What lapsed under the "lapse" policy (net of later revisions)."""
        return sum(max(0, self.due[c] - self.paid[c]) for c in self.closed)

    @property
    def pending_fen(self) -> int:
        """Claims not approved by the horizon, at their final amount."""
        return sum(
            amount for claim_id, amount in self.final_due.items() if claim_id not in self.approved
        )
