"""What a bank must put in a disposal filing, checked before the case exists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from market.domain.case_errors import CoOwnerConsentMissing, PledgeeConsentMissing
from market.domain.errors import Kind
from market.domain.rules import RuleBroken


class LoanNotDefaulted(RuleBroken):
    """Only a defaulted loan's collateral can be handed over for disposal."""

    code = "loan_not_defaulted"


class PledgeNotRegistered(RuleBroken):
    """The pledge must be registered with the IP office and not yet released."""

    code = "pledge_not_registered"


class PledgeNotOfLoan(RuleBroken):
    """A filing names the loan's own pledge registration."""

    code, fields = "pledge_not_of_loan", ("registration",)


class NoAssetsChosen(RuleBroken):
    """A filing names at least one pledged asset."""

    code = "no_assets_chosen"


class AssetNotPledged(RuleBroken):
    """Only assets under this loan's registered pledge can be disposed of."""

    code = "asset_not_pledged"


class ClaimExceedsLoan(RuleBroken):
    """The outstanding principal cannot exceed what was lent."""

    code, fields = "claim_exceeds_loan", ("principal_fen",)


class CaseAlreadyOpen(RuleBroken):
    """A loan has at most one disposal case in progress."""

    code, kind = "case_already_open", Kind.CONFLICT


class AmountsNegative(RuleBroken):
    """A filing's amounts are never negative."""

    code = "amounts_negative"


class PrincipalMissing(RuleBroken):
    """A filing states the principal still outstanding."""

    code = "principal_missing"


class PledgeeConsentNotConfirmed(PledgeeConsentMissing):
    """The filing bank confirms, as pledgee, its consent to the disposal."""

    code = "pledgee_consent_not_confirmed"


class CoOwnerConsentsNotAttached(CoOwnerConsentMissing):
    """A filing attaches the consent of every co-owner."""

    code, fields = "co_owner_consents_not_attached", ("names",)


@dataclass(frozen=True)
class PledgedLoan:
    """The facts of the defaulted loan a filing is made from."""

    defaulted: bool
    principal_fen: int
    pledge_registration: str | None
    pledge_released: bool
    # each pledged asset's registry number and the co-owners named on its certificate
    pledged_assets: Mapping[int, tuple[str, tuple[str, ...]]]


@dataclass(frozen=True)
class Filing:
    """What the bank states when it hands the collateral over."""

    asset_ids: tuple[int, ...]
    principal_outstanding_fen: int
    unpaid_interest_fen: int
    costs_so_far_fen: int
    pledgee_consent: bool
    co_owner_consents: tuple[str, ...] = ()


def co_owners_of(loan: PledgedLoan, asset_ids: tuple[int, ...]) -> tuple[str, ...]:
    """The co-owners of the chosen assets, each once, in a stable order."""
    names = {name for asset_id in asset_ids if asset_id in loan.pledged_assets
             for name in loan.pledged_assets[asset_id][1]}
    return tuple(sorted(names))


def check_filing(loan: PledgedLoan, filing: Filing) -> None:
    """Raise the first rule the filing breaks; the message says how to put it right."""
    if not loan.defaulted:
        raise LoanNotDefaulted()
    if not loan.pledge_registration or loan.pledge_released:
        raise PledgeNotRegistered()
    if not filing.asset_ids:
        raise NoAssetsChosen()
    strangers = [asset_id for asset_id in filing.asset_ids if asset_id not in loan.pledged_assets]
    if strangers:
        raise AssetNotPledged()
    amounts = (filing.principal_outstanding_fen, filing.unpaid_interest_fen, filing.costs_so_far_fen)
    if any(amount is None or amount < 0 for amount in amounts):
        raise AmountsNegative()
    if filing.principal_outstanding_fen <= 0:
        raise PrincipalMissing()
    if filing.principal_outstanding_fen > loan.principal_fen:
        raise ClaimExceedsLoan(principal_fen=loan.principal_fen)
    if not filing.pledgee_consent:
        raise PledgeeConsentNotConfirmed()
    missing = sorted(set(co_owners_of(loan, filing.asset_ids)) - set(filing.co_owner_consents))
    if missing:
        raise CoOwnerConsentsNotAttached(names=missing)
