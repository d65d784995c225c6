"""The history's licences and debt-to-equity conversions, walked through the centre's own desk services.

market/demo/history.py sends a case here after its negotiated sale lapsed, or straight after the notice
when the centre chose not to auction it. Each channel runs from `opened` to `done` on the case's past clock:
a licence round takes one sealed offer from a firm off the platform, closes, is awarded, gets the pledgee
bank's consent and is signed (the upfront fee is the recovery) and recorded with the IP office; a conversion
is proposed for the AIC, gets the bank's, the AIC's and the borrower's consents and is executed (the claim
price is the recovery).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy.orm as so

from market.domain.conversion import ConversionTerms, ExitRoute
from market.domain.licensing import LicenceKind, LicenceTerms, OfferTerms, ReportingPeriod
from market.services import conversion, licensing
from market.services.audit import Actor


@dataclass(frozen=True)
class Desk:
    """Who acts on a history case's channel: the centre's operator, the pledgee bank and the AIC."""

    operator: Actor
    bank: Actor
    aic: Actor


def license_asset(session: so.Session, desk: Desk, case_id: int, *, number: int, upfront_fen: int,
                  opened: datetime, done: datetime) -> None:
    """A licence round from opening to a signed and recorded licence (at least two days: one for offers)."""
    step = (done - opened) / 8
    terms = LicenceTerms(kind=LicenceKind.EXCLUSIVE, field_of_use="该知识产权覆盖产品的制造与销售", territory="中国大陆",
                         term_months=36, min_upfront_fen=0, min_royalty_rate_ppm=0,
                         reporting_period=ReportingPeriod.ANNUAL, discount_rate_ppm=80_000, reference_sales_fen=0)
    licence_round = licensing.open_licence_round(session, case_id, terms, offer_deadline=opened + 4 * step,
                                                 actor=desk.operator, now=opened)
    offer = licensing.submit_licence_offer(
        session, licence_round.id, OfferTerms(upfront_fen, 0), actor=desk.operator, now=opened + 2 * step,
        applicant_name=f"历史被许可企业{number:05d}（科技有限公司）", applicant_credit_code=f"91110000HISTL{number:05d}",
    )
    licensing.close_licence_round(session, licence_round.id, actor=Actor.system(), now=opened + 4 * step)
    licensing.award_licence(session, licence_round.id, [offer.id], actor=desk.operator, now=opened + 5 * step)
    licensing.decide_pledgee_consent(session, licence_round.id, consent=True, reference=f"质权人同意函（历史{number}）",
                                     actor=desk.bank, now=opened + 6 * step)
    [licence] = licensing.sign_licences(session, licence_round.id, contract_refs=[f"HIST-XK-{number:07d}"],
                                        signed_on=done.date(), actor=desk.operator, now=done)
    licensing.record_licence_recordal(session, licence.id, recordal_number=f"HIST-BA-{number:07d}",
                                      recorded_on=done.date(), actor=desk.operator, now=done)


def convert_claim(session: so.Session, desk: Desk, case_id: int, *, number: int, price_fen: int,
                  opened: datetime, done: datetime) -> None:
    """A conversion from the proposal to its execution, every consent given in between."""
    step = (done - opened) / 4
    terms = ConversionTerms(claim_price_fen=price_fen, claim_valuation_fen=price_fen,
                            valuation_report_ref=f"历史评报字第{number}-Z号", pre_money_valuation_fen=price_fen * 4,
                            lockup_months=36, exit_route=ExitRoute.BUYBACK, exit_terms="锁定期满后由控股股东按投资成本回购。")
    proposal = conversion.propose_conversion(session, case_id, aic_id=desk.aic.user.institution_id, terms=terms,
                                             fund_compensation=False, actor=desk.operator, now=opened)
    for k, (who, reference) in enumerate(((desk.bank, ""), (desk.aic, f"投决〔历史〕{number}号"),
                                          (desk.operator, f"借款人董事会决议（历史{number}）")), start=1):
        conversion.decide_consent(session, proposal.id, consent=True, reference=reference, actor=who,
                                  now=opened + k * step)
    conversion.execute_conversion(session, proposal.id, actor=desk.operator, now=done)
