"""Debt-to-equity conversion pages: propose, collect consents, execute or abandon."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.conversion import ConversionTerms, ExitRoute, share_ppm
from market.domain.roles import Role
from market.domain.workflow import CHANNEL_ENTRY
from market.models import ConversionProposal, DisposalCase, EquityPosition
from market.services import conversion
from market.web.channels import DESK_LIMIT, actor, attempt, bp, case_or_404, require_role
from market.web.context import db, now, user
from market.web.forms.channels import ActionForm, ConversionConsentForm, ConversionForm, ReasonForm
from market.web.forms.fields import choices
from market.web.refusals import submitted


@bp.route("/conversions")
@login_required
def conversions():
    """The conversion proposals the user may see, and an AIC's equity positions."""
    me = user()
    proposals = list(db().scalars(sa.select(ConversionProposal).where(conversion.proposal_visibility(me))
                                  .order_by(ConversionProposal.id.desc()).limit(DESK_LIMIT)))
    positions = conversion.positions_of(db(), me.institution_id) if Role(me.role) == Role.AIC else []
    return render_template("channels/conversions.html", proposals=proposals, positions=positions, me=me)


@bp.route("/cases/<int:case_id>/conversion")
@login_required
def conversion_case(case_id: int):
    """The conversion desk of a case: its latest proposal, else (for the operator) the form to propose one."""
    case = case_or_404(case_id)
    latest = db().scalar(sa.select(ConversionProposal.id).where(ConversionProposal.case_id == case.id)
                         .order_by(ConversionProposal.id.desc()).limit(1))
    if latest is not None:
        return redirect(url_for(".proposal_page", proposal_id=latest))
    if Role(user().role) == Role.OPERATOR:
        return redirect(url_for(".propose", case_id=case.id))
    return redirect(url_for(".case_channels", case_id=case.id))


@bp.route("/cases/<int:case_id>/conversion/new", methods=["GET", "POST"])
@login_required
def propose(case_id: int):
    """The operator puts an AIC's conversion proposal on a case ready for a channel."""
    require_role(Role.OPERATOR)
    case = db().get(DisposalCase, case_id)
    if case is None:
        abort(404)
    form = ConversionForm()
    form.aic_id.choices = choices(*((aic.id, aic.name) for aic in conversion.aic_choices(db())))
    if not form.is_submitted():
        form.lockup_months.data = 36
    if submitted(form):
        terms = ConversionTerms(
            claim_price_fen=form.claim_price.data, claim_valuation_fen=form.claim_valuation.data,
            valuation_report_ref=form.valuation_report_ref.data, pre_money_valuation_fen=form.pre_money_valuation.data,
            lockup_months=form.lockup_months.data, exit_route=ExitRoute(form.exit_route.data),
            exit_terms=form.exit_terms.data,
        )
        created = {}

        def run():
            created["p"] = conversion.propose_conversion(db(), case_id, aic_id=form.aic_id.data, terms=terms,
                                                         fund_compensation=form.fund_compensation.data,
                                                         actor=actor(), now=now())

        if attempt(run, _("The conversion is proposed; the parties are asked for their consent.")):
            return redirect(url_for(".proposal_page", proposal_id=created["p"].id))
    return render_template("channels/conversion_new.html", form=form, case=case,
                           ready=case.state in CHANNEL_ENTRY), 422 if form.is_submitted() else 200


def _proposal(proposal_id: int) -> ConversionProposal:
    return conversion.get_proposal(db(), proposal_id, user())


def _render(proposal: ConversionProposal, status: int = 200, **forms):
    me = user()
    terms = conversion.proposal_terms(proposal)
    required = conversion.parties_for(proposal)
    decided = {c.party: c for c in proposal.consents}
    my_party = conversion.party_of(me, proposal)
    defaults = {"consent_form": ConversionConsentForm(formdata=None), "execute_form": ActionForm(formdata=None),
                "abandon_form": ReasonForm(formdata=None)}
    defaults.update(forms)
    position = db().scalar(sa.select(EquityPosition).where(EquityPosition.proposal_id == proposal.id))
    return render_template(
        "channels/conversion.html", proposal=proposal, case=proposal.case, terms=terms, me=me, now=now(),
        share_ppm=share_ppm(terms.equity_share), share=terms.equity_share, required=required, decided=decided,
        missing=[p for p in required if p not in decided or not decided[p].consented],
        my_party=my_party if my_party in required and my_party not in decided else None,
        position=position, is_operator=Role(me.role) == Role.OPERATOR, **defaults,
    ), status


@bp.route("/conversions/<int:proposal_id>")
@login_required
def proposal_page(proposal_id: int):
    """A conversion proposal: the price and the valuation it rests on, the equity share, the consents."""
    return _render(_proposal(proposal_id))


@bp.post("/conversions/<int:proposal_id>/consent")
@login_required
def consent(proposal_id: int):
    """A party consents or refuses; the operator records the borrower's board resolution."""
    proposal = _proposal(proposal_id)
    if conversion.party_of(user(), proposal) is None:
        abort(403)
    form = ConversionConsentForm()
    if submitted(form):
        refuse = bool(form.refuse.data)
        if attempt(lambda: conversion.decide_consent(db(), proposal_id, consent=not refuse,
                                                     reference=form.reference.data or "", note=form.note.data or "",
                                                     actor=actor(), now=now()),
                   _("Refusal recorded.") if refuse else _("Consent recorded.")):
            return redirect(url_for(".proposal_page", proposal_id=proposal_id))
    return _render(_proposal(proposal_id), 422, consent_form=form)


@bp.post("/conversions/<int:proposal_id>/execute")
@login_required
def execute(proposal_id: int):
    """The operator executes the conversion once every consent is in."""
    require_role(Role.OPERATOR)
    _proposal(proposal_id)
    if submitted(ActionForm()):
        attempt(lambda: conversion.execute_conversion(db(), proposal_id, actor=actor(), now=now()),
                _("The conversion is executed: the AIC holds the equity and the case is ready for settlement."))
    return redirect(url_for(".proposal_page", proposal_id=proposal_id))


@bp.post("/conversions/<int:proposal_id>/abandon")
@login_required
def abandon_conversion(proposal_id: int):
    """The operator abandons the proposal; the case awaits its next channel."""
    require_role(Role.OPERATOR)
    _proposal(proposal_id)
    form = ReasonForm()
    if submitted(form) and attempt(
        lambda: conversion.abandon_conversion(db(), proposal_id, reason=form.reason.data, actor=actor(), now=now()),
        _("The conversion is abandoned; the case awaits its next channel."),
    ):
        return redirect(url_for(".proposal_page", proposal_id=proposal_id))
    return _render(_proposal(proposal_id), 422, abandon_form=form)
