"""Auction forms: input shape only (the domain checks the rules)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Optional

from market.domain.auction import AuctionKind
from market.web.forms.fields import YuanField, choices

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_to_utc(value: datetime | None) -> datetime | None:
    """A datetime-local typed in Beijing time, as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=BEIJING).astimezone(ZoneInfo("UTC"))


def utc_to_beijing_input(value: datetime) -> datetime:
    """An aware UTC datetime as the naive Beijing time a datetime-local input shows."""
    return value.astimezone(BEIJING).replace(tzinfo=None, second=0, microsecond=0)


class DepositForm(FlaskForm):
    """Pay the deposit (a button; the amount is the round's)."""

    submit = SubmitField(_l("Pay the deposit"))


class BidForm(FlaskForm):
    """One bid in yuan."""

    amount = YuanField(_l("Your bid (¥)"), validators=[DataRequired(message=_l("Enter your bid in yuan."))])
    submit = SubmitField(_l("Place bid"))


class ProxyForm(FlaskForm):
    """A hidden maximum in yuan."""

    max_amount = YuanField(_l("Hidden maximum (¥)"),
                           validators=[DataRequired(message=_l("Enter your maximum in yuan."))])
    submit = SubmitField(_l("Bid for me up to this"))


class FirstRefusalForm(FlaskForm):
    """A first-refusal holder's answer."""

    match = SubmitField(_l("Match the price"))
    decline = SubmitField(_l("Decline"))


class HolderLinkForm(FlaskForm):
    """The operator links a holder named in the notice to its institution on the platform."""

    institution_id = SelectField(_l("Institution on the platform"), coerce=int,
                                 validators=[InputRequired(message=_l("Choose the holder's institution."))])
    submit = SubmitField(_l("Link"))


class PaymentForm(FlaskForm):
    """The operator confirms the winner's payment arrived."""

    submit = SubmitField(_l("Record the winner's payment"))


class OpenAuctionForm(FlaskForm):
    """The terms of a new round; times are Beijing time."""

    kind = SelectField(_l("Lot"), choices=choices(
        (AuctionKind.ASSET.value, _l("The pledged IP (asset lot)")),
        (AuctionKind.CLAIM.value, _l("The claim and its pledge (claim-rights lot)")),
    ), default=AuctionKind.ASSET.value)
    starting_price = YuanField(_l("Starting price (¥)"), validators=[InputRequired()])
    increment = YuanField(_l("Increment (¥)"), validators=[InputRequired()])
    deposit = YuanField(_l("Deposit (¥)"), validators=[InputRequired()])
    starts_at = DateTimeLocalField(_l("Bidding opens (Beijing time; empty: now)"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Bidding ends (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired()])
    second_bidder_offer = BooleanField(_l("If the winner does not pay, the trading centre may offer the lot to the "
                                          "second-highest bidder at its own last bid (asset lots; stated in the "
                                          "notice)"))
    submit = SubmitField(_l("Open the round"))


class HolderInviteForm(FlaskForm):
    """The operator issues a one-time registration link for a holder not yet on the platform."""

    submit = SubmitField(_l("Invite to register"))


class SecondOfferDecisionForm(FlaskForm):
    """The operator's decision after a winner's default: offer the lot to the second bidder, or re-auction."""

    offer = SubmitField(_l("Offer the lot to the second bidder"))
    rerun = SubmitField(_l("Re-auction instead"))


class SecondOfferAnswerForm(FlaskForm):
    """The second bidder's answer to the offer."""

    accept = SubmitField(_l("Accept and buy at my last bid"))
    decline = SubmitField(_l("Decline"))


class SignConfirmationForm(FlaskForm):
    """An authorised user signs the confirmation of sale for its institution."""

    submit = SubmitField(_l("Sign the confirmation for my institution"))
