"""Debt-to-equity conversion as a disposal channel: propose, collect every consent, execute or abandon."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.channels import (
    PROPOSAL_STEPS,
    ProposalStatus,
    next_status,
    reason_for_ending,
    reason_for_refusing,
)
from market.domain.conversion import (
    BoardResolutionMissing,
    BuyerNotAic,
    ConsentAlreadyDecided,
    ConsentNotNeeded,
    ConsentParty,
    ConversionTerms,
    NotAParty,
    check_consents,
    required_parties,
    share_ppm,
)
from market.domain.errors import PersonRequired
from market.domain.ledger import Movement
from market.domain.licensing import add_months
from market.domain.money import fen_to_decimal_string
from market.domain.roles import InstitutionKind, Role
from market.domain.rules import DEFAULT_RULES, DisposalRules
from market.domain.workflow import CaseAction
from market.models import (
    ConversionConsent,
    ConversionProposal,
    DisposalCase,
    EquityPosition,
    Institution,
    User,
)
from market.services.access import case_visibility, visible
from market.services.audit import Actor, record_event
from market.services.cases import move_case
from market.services.channels import (
    lock,
    lock_case_row,
    require_operator,
    sees_everything,
    user_id,
)
from market.services.ledger import record_movement


def proposal_terms(proposal: ConversionProposal) -> ConversionTerms:
    """The proposal's terms as the domain sees them."""
    p = proposal
    return ConversionTerms(p.claim_price_fen, p.claim_valuation_fen, p.valuation_report_ref,
                           p.pre_money_valuation_fen, p.lockup_months, p.exit_route, p.exit_terms)


def parties_for(proposal: ConversionProposal) -> tuple[ConsentParty, ...]:
    """Whose consent this proposal needs: guarantor and insurer only when they carry a share of the loss."""
    loan = proposal.case.loan
    return required_parties(
        guarantor_carries=bool(loan.guarantor_id and loan.guarantor_share_ppm),
        insurer_carries=bool(loan.insurer_id and loan.insurer_share_ppm),
        fund_compensation=proposal.fund_compensation,
    )


def decisions(proposal: ConversionProposal) -> dict[ConsentParty, bool]:
    """Each party's decision so far."""
    return {c.party: c.consented for c in proposal.consents}


def _audit(session, actor: Actor, proposal_id: int, action: str, now: datetime, reason: str = "", **detail):
    record_event(session, actor=actor, entity="conversion", entity_id=proposal_id, action=action, now=now,
                 reason=reason, detail=detail)


def propose_conversion(session: so.Session, case_id: int, *, aic_id: int, terms: ConversionTerms,
                       fund_compensation: bool, actor: Actor, now: datetime,
                       rules: DisposalRules = DEFAULT_RULES) -> ConversionProposal:
    """Put an AIC's conversion proposal on a case and move the case into conversion."""
    require_operator(actor)
    case = lock_case_row(session, case_id)
    aic = session.get(Institution, aic_id)
    if aic is None or aic.kind != InstitutionKind.AIC:
        raise BuyerNotAic()
    terms.check(case.principal_outstanding_fen + case.unpaid_interest_fen)
    proposal = ConversionProposal(
        case_id=case.id, aic_id=aic.id, status=ProposalStatus.PROPOSED,
        claim_price_fen=terms.claim_price_fen, claim_valuation_fen=terms.claim_valuation_fen,
        valuation_report_ref=terms.valuation_report_ref.strip(),
        pre_money_valuation_fen=terms.pre_money_valuation_fen, lockup_months=terms.lockup_months,
        exit_route=terms.exit_route, exit_terms=terms.exit_terms.strip(),
        fund_compensation=fund_compensation, proposed_at=now, proposed_by_id=user_id(actor),
    )
    session.add(proposal)
    session.flush()
    move_case(session, case, CaseAction.START_CONVERSION, actor=actor, now=now, rules=rules,
              detail={"conversion_id": proposal.id})
    _audit(session, actor, proposal.id, "proposed", now, case_id=case.id, aic_id=aic.id,
           price=fen_to_decimal_string(terms.claim_price_fen),
           pre_money=fen_to_decimal_string(terms.pre_money_valuation_fen),
           equity_share_ppm=share_ppm(terms.equity_share), fund_compensation=fund_compensation)
    return proposal


def proposal_visibility(user: User) -> sa.ColumnElement[bool]:
    """The conversion proposals a user may see: the centre, the bureau, the case's parties and the AIC."""
    if sees_everything(user):
        return sa.true()
    seen = [ConversionProposal.case_id.in_(sa.select(DisposalCase.id).where(case_visibility(user)))]
    if Role(user.role) == Role.AIC:
        seen.append(ConversionProposal.aic_id == user.institution_id)
    return sa.or_(*seen)


def get_proposal(session: so.Session, proposal_id: int, user: User) -> ConversionProposal:
    """A proposal the user may see, or NotFound."""
    return visible(session, ConversionProposal, proposal_id, proposal_visibility(user), "conversion proposal")


def party_of(user: User, proposal: ConversionProposal) -> ConsentParty | None:
    """The party a user decides for on this proposal (the centre records the borrower's board resolution)."""
    loan = proposal.case.loan
    role, mine = Role(user.role), user.institution_id
    if role == Role.OPERATOR:
        return ConsentParty.BORROWER
    if role == Role.BANK and mine == proposal.case.bank_id:
        return ConsentParty.BANK
    if role == Role.AIC and mine == proposal.aic_id:
        return ConsentParty.AIC
    if role == Role.GUARANTOR and mine == loan.guarantor_id:
        return ConsentParty.GUARANTOR
    if role == Role.INSURER and mine == loan.insurer_id:
        return ConsentParty.INSURER
    if role == Role.BUREAU:
        return ConsentParty.BUREAU
    return None


def decide_consent(session: so.Session, proposal_id: int, *, consent: bool, actor: Actor, now: datetime,
                   reference: str = "", note: str = "") -> ConversionConsent:
    """Record one party's consent or refusal (an audited event); the borrower's needs its board resolution."""
    user = actor.user
    if user is None:
        raise PersonRequired()
    visible(session, ConversionProposal, proposal_id, proposal_visibility(user), "conversion proposal")
    proposal = lock(session, ConversionProposal, proposal_id, "conversion proposal")
    party = party_of(user, proposal)
    if party is None:
        raise NotAParty()
    if party not in parties_for(proposal):
        raise ConsentNotNeeded(party=party)
    proposal.status = next_status(PROPOSAL_STEPS, proposal.status, "consent", "conversion proposal")
    if party == ConsentParty.BORROWER and consent and not reference.strip():
        raise BoardResolutionMissing()
    if not consent:
        note = reason_for_refusing(note)
    if any(c.party == party for c in proposal.consents):
        raise ConsentAlreadyDecided(party=party)
    decision = ConversionConsent(proposal_id=proposal.id, party=party, consented=consent,
                                 reference=reference.strip()[:120], note=note.strip(), decided_at=now,
                                 decided_by_id=user.id)
    session.add(decision)
    session.flush()
    _audit(session, actor, proposal.id, "consented" if consent else "consent_refused", now,
           reason=note.strip(), party=party.value, reference=decision.reference)
    return decision


def execute_conversion(session: so.Session, proposal_id: int, *, actor: Actor, now: datetime,
                       rules: DisposalRules = DEFAULT_RULES) -> EquityPosition:
    """With every consent in: the claim leaves the bank at the price, the AIC holds the equity, the case is disposed of."""
    require_operator(actor)
    proposal = lock(session, ConversionProposal, proposal_id, "conversion proposal")
    case = lock_case_row(session, proposal.case_id)
    proposal.status = next_status(PROPOSAL_STEPS, proposal.status, "execute", "conversion proposal")
    check_consents(parties_for(proposal), decisions(proposal))
    terms = proposal_terms(proposal)
    record_movement(session, Movement.CONVERSION_PRICE, amount_fen=proposal.claim_price_fen, now=now,
                    case_id=case.id, institution_id=proposal.aic_id, reference=f"conversion:{proposal.id}")
    position = EquityPosition(
        proposal_id=proposal.id, aic_id=proposal.aic_id, enterprise_id=case.loan.enterprise_id,
        share_ppm=share_ppm(terms.equity_share), cost_fen=proposal.claim_price_fen, acquired_on=now.date(),
        lockup_until=add_months(now.date(), proposal.lockup_months), exit_route=proposal.exit_route,
        exit_terms=proposal.exit_terms,
    )
    session.add(position)
    proposal.ended_at = now
    move_case(session, case, CaseAction.CONVERSION_EXECUTED, actor=actor, now=now, rules=rules,
              recovery_fen=proposal.claim_price_fen, buyer_institution_id=proposal.aic_id,
              buyer_name=proposal.aic.name, detail={"conversion_id": proposal.id})
    session.flush()
    _audit(session, actor, proposal.id, "executed", now, price=fen_to_decimal_string(proposal.claim_price_fen),
           equity_share_ppm=position.share_ppm, equity_position_id=position.id)
    return position


def abandon_conversion(session: so.Session, proposal_id: int, *, reason: str, actor: Actor,
                       now: datetime) -> ConversionProposal:
    """Give up the proposal; the case goes back to await its next channel."""
    require_operator(actor)
    reason = reason_for_ending(reason)
    proposal = lock(session, ConversionProposal, proposal_id, "conversion proposal")
    case = lock_case_row(session, proposal.case_id)
    proposal.status = next_status(PROPOSAL_STEPS, proposal.status, "abandon", "conversion proposal")
    proposal.ended_at, proposal.outcome_reason = now, reason
    move_case(session, case, CaseAction.CONVERSION_ABANDONED, actor=actor, now=now, reason=reason,
              detail={"conversion_id": proposal.id})
    _audit(session, actor, proposal.id, "abandoned", now, reason=reason)
    return proposal


def aic_choices(session: so.Session) -> list[Institution]:
    """The AICs a proposal can name."""
    return list(session.scalars(sa.select(Institution).where(Institution.kind == InstitutionKind.AIC)
                                .order_by(Institution.name)))


def positions_of(session: so.Session, aic_id: int) -> list[EquityPosition]:
    """The equity positions an AIC holds through conversions."""
    return list(session.scalars(sa.select(EquityPosition).where(EquityPosition.aic_id == aic_id)
                                .order_by(EquityPosition.id.desc())))
