"""Pages of the other disposal channels: licensing, debt-to-equity conversion and claim transfer.

This module holds the blueprint, the channel desk, a case's channel page and the home-page panels; the
pages of each channel are in market.web.channels_licensing, _conversion and _claims.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.case_guards import channel_opens_at
from market.domain.channels import ListingStatus, ProposalStatus, RoundStatus
from market.domain.roles import Role
from market.domain.workflow import CHANNEL_ENTRY
from market.models import (
    ClaimListing,
    ConversionConsent,
    ConversionProposal,
    DisposalCase,
    Licence,
    LicenceRound,
    User,
)
from market.services import claim_transfer, conversion, licensing
from market.services.access import can_see_case
from market.services.audit import Actor
from market.services.channels import LICENCE_APPLICANT_ROLES
from market.web import dashboards
from market.web.context import db, now, user

bp = Blueprint("channels", __name__, url_prefix="/channels")
DESK_LIMIT = 200


def actor() -> Actor:
    """The signed-in user as the actor of a service call."""
    return Actor.of(user())


def attempt(action: Callable[[], object], success: str) -> bool:
    """Run a service call and flash its success (a refusal goes to the page handler, market.web.refusals)."""
    action()
    flash(success, "success")
    return True


def require_role(*roles: Role) -> None:
    """Deny by default: a wrong role gets 403."""
    if Role(user().role) not in roles:
        abort(403)


def case_or_404(case_id: int) -> DisposalCase:
    """A case the user may see (the centre and the bureau see all), else 404."""
    case = db().get(DisposalCase, case_id)
    if case is None or not can_see_case(user(), case):
        abort(404)
    return case


def form_errors(form) -> None:
    """Flash a submitted form's field errors (when the page redirects instead of re-rendering)."""
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "error")


def channel_items(me: User, case: DisposalCase | None = None) -> dict:
    """The rounds, licences, proposals and listings the user may see (of one case, or all)."""
    session = db()

    def rows(model, visibility):
        query = sa.select(model).where(visibility).order_by(model.id.desc())
        if case is not None:
            query = query.where(model.case_id == case.id)
        return list(session.scalars(query.limit(DESK_LIMIT)))

    return {
        "rounds": rows(LicenceRound, licensing.round_visibility(me)),
        "licences": rows(Licence, licensing.licence_visibility(me)),
        "proposals": rows(ConversionProposal, conversion.proposal_visibility(me)),
        "listings": rows(ClaimListing, claim_transfer.listing_visibility(me)),
    }


@bp.route("/")
@login_required
def desk():
    """The channel desk: what the user may see or do in licensing, conversion and claim transfer."""
    me = user()
    ready = []
    if Role(me.role) == Role.OPERATOR:
        ready = list(db().scalars(sa.select(DisposalCase).where(DisposalCase.state.in_(CHANNEL_ENTRY))
                                  .order_by(DisposalCase.id).limit(DESK_LIMIT)))
    return render_template("channels/desk.html", me=me, ready=ready, now=now(),
                           opens_at={case.id: channel_opens_at(case.notice_ends_at, now()) for case in ready},
                           eligible=claim_transfer.is_eligible(me), **channel_items(me))


@bp.route("/cases/<int:case_id>")
@login_required
def case_channels(case_id: int):
    """One case's licensing rounds, conversion proposals and claim listings; the operator starts channels here."""
    me = user()
    case = case_or_404(case_id)
    return render_template("channels/case.html", me=me, case=case, now=now(),
                           ready=case.state in CHANNEL_ENTRY, opens_at=channel_opens_at(case.notice_ends_at, now()),
                           **channel_items(me, case))


# ---------------------------------------------------------------- home-page panels


def _panel(title, rows) -> dashboards.Panel:
    return dashboards.Panel(title=str(title), rows=rows, action=(_("Channel desk"), url_for("channels.desk")),
                            empty=_("Nothing waiting."))


@dashboards.contributes(Role.OPERATOR)
def operator_panel(me: User) -> dashboards.Panel:
    """Rounds to close or sign, proposals to execute, listings to open or complete, overdue recordals."""
    session = db()
    count = lambda query: session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0  # noqa: E731
    at = now()
    rows = [
        (_("Licence rounds past their deadline"), count(sa.select(LicenceRound.id).where(
            LicenceRound.status == RoundStatus.OPEN, LicenceRound.offer_deadline <= at)), None),
        (_("Licence rounds to award or sign"), count(sa.select(LicenceRound.id).where(
            LicenceRound.status.in_([RoundStatus.CLOSED, RoundStatus.AWARDED]))), None),
        (_("Conversions collecting consents"), count(sa.select(ConversionProposal.id).where(
            ConversionProposal.status == ProposalStatus.PROPOSED)), None),
        (_("Claim listings to open or complete"), count(sa.select(ClaimListing.id).where(
            ClaimListing.status.in_([ListingStatus.SUBMITTED, ListingStatus.AGREED]))), None),
        (_("Recordals overdue"), count(sa.select(Licence.id).where(Licence.recorded_on.is_(None),
                                                                   Licence.recordal_due_on < at.date()))
         + count(sa.select(ClaimListing.id).where(ClaimListing.status == ListingStatus.COMPLETED,
                                                  ClaimListing.recorded_on.is_(None),
                                                  ClaimListing.recordal_due_on < at.date())), None),
    ]
    return _panel(_("Licensing, conversion, claim transfer"), [(label, str(n), link) for label, n, link in rows])


@dashboards.contributes(Role.BANK, Role.AIC, Role.GUARANTOR, Role.INSURER, Role.BUREAU)
def consents_panel(me: User) -> dashboards.Panel | None:
    """Decisions waiting for this institution: licence consents and conversion consents."""
    session = db()
    rows = []
    if Role(me.role) == Role.BANK:
        for licence_round in session.scalars(sa.select(LicenceRound).join(DisposalCase).where(
                LicenceRound.status == RoundStatus.AWARDED, LicenceRound.pledgee_consent_at.is_(None),
                DisposalCase.bank_id == me.institution_id)):
            rows.append((_("Consent to licence: %(title)s", title=licence_round.case.title), _("waiting"),
                         url_for("channels.round_page", round_id=licence_round.id)))
    for proposal in session.scalars(sa.select(ConversionProposal).where(
            ConversionProposal.status == ProposalStatus.PROPOSED, conversion.proposal_visibility(me)).limit(DESK_LIMIT)):
        party = conversion.party_of(me, proposal)
        decided = session.scalar(sa.select(ConversionConsent.id).where(
            ConversionConsent.proposal_id == proposal.id, ConversionConsent.party == party)) if party else True
        if party in conversion.parties_for(proposal) and not decided:
            rows.append((_("Consent to conversion: %(title)s", title=proposal.case.title), _("waiting"),
                         url_for("channels.proposal_page", proposal_id=proposal.id)))
    if not rows and Role(me.role) not in (Role.BANK, Role.AIC):
        return None
    return _panel(_("Consents waiting for you"), rows)


@dashboards.contributes(Role.BANK, Role.AIC, Role.GUARANTOR, Role.INSURER, Role.AGENCY)
def market_panel(me: User) -> dashboards.Panel:
    """Licence rounds open to offers and, for licensed financial institutions, claim lots."""
    session = db()
    rows = []
    if Role(me.role) in LICENCE_APPLICANT_ROLES:
        open_rounds = session.scalar(sa.select(sa.func.count(LicenceRound.id)).where(
            LicenceRound.status == RoundStatus.OPEN, LicenceRound.offer_deadline > now())) or 0
        rows.append((_("Licence offers open"), str(open_rounds), url_for("channels.rounds")))
    if claim_transfer.is_eligible(me):
        lots = session.scalar(sa.select(sa.func.count(ClaimListing.id)).where(
            ClaimListing.status == ListingStatus.OPEN)) or 0
        rows.append((_("Claims for sale"), str(lots), url_for("channels.claims")))
    return _panel(_("Licences and claims on offer"), rows)


# The pages of each channel register their routes on `bp`.
from market.web import channels_claims, channels_conversion, channels_licensing  # noqa: E402,F401
