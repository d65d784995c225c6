"""Forms of the disposal workflow and the catalogue filters: input shape only; the domain checks the rules."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from market.domain.workflow import PUBLIC_STATES, REVIEW_CHECKS, Channel, SuspensionGrounds
from market.models import IPKind
from market.services.catalogue import MAX_PER_PAGE, SORTS
from market.web.case_support import (
    CHANNEL_NAMES,
    CHECK_NAMES,
    GROUNDS_NAMES,
    KIND_NAMES,
    STATE_NAMES,
)
from market.web.forms.fields import YuanField, choices

REASON = [DataRequired(message=_l("Give a reason: it is shown to the bank and kept in the audit trail.")),
          Length(max=1000)]


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FilingForm(FlaskForm):
    """The bank's filing: which pledged assets, the claim, and the consents."""

    asset_ids = CheckboxesField(_l("Pledged assets to dispose of"), coerce=int,
                                validators=[DataRequired(message=_l("Choose at least one pledged asset."))])
    principal_outstanding = YuanField(_l("Outstanding principal (¥)"),
                                      validators=[InputRequired(message=_l("Enter the outstanding principal."))])
    unpaid_interest = YuanField(_l("Unpaid interest (¥)"), allow_zero=True,
                                validators=[InputRequired(message=_l("Enter the unpaid interest (0 if none)."))])
    costs_so_far = YuanField(_l("Costs so far (¥)"), allow_zero=True,
                             validators=[InputRequired(message=_l("Enter the costs so far (0 if none)."))])
    pledgee_consent = BooleanField(_l("As pledgee, we consent to the disposal (Civil Code art. 444)"))
    co_owner_consents = CheckboxesField(_l("Co-owners whose written consent is attached"), coerce=str)
    summary = TextAreaField(_l("Summary for the trading centre"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("File the case"))


class ReasonForm(FlaskForm):
    """A decision that must say why."""

    reason = TextAreaField(_l("Reason"), validators=REASON)
    submit = SubmitField(_l("Confirm"))


class ConfirmForm(FlaskForm):
    """A one-click move (CSRF only)."""

    submit = SubmitField(_l("Confirm"))


class ReviewForm(FlaskForm):
    """The operator's review checklist."""

    checks = CheckboxesField(_l("Verified"), choices=choices(*((c, CHECK_NAMES[c]) for c in REVIEW_CHECKS)))
    submit = SubmitField(_l("Mark as verified"))


class RequestValuationForm(FlaskForm):
    """Which appraisal agency is asked to value the case."""

    appraiser_id = SelectField(_l("Appraisal agency"), coerce=lambda v: int(v) if v else None,
                               validators=[DataRequired(message=_l("Choose the appraisal agency."))])
    submit = SubmitField(_l("Request the valuation"))


class ValuationForm(FlaskForm):
    """The appraisal: agency, value, report reference and date."""

    appraiser_id = SelectField(_l("Appraisal agency"), coerce=lambda v: int(v) if v else None,
                               validators=[Optional()])
    appraised_value = YuanField(_l("Appraised value (¥)"),
                                validators=[InputRequired(message=_l("Enter the appraised value."))])
    report_ref = StringField(_l("Appraisal report reference"),
                             validators=[DataRequired(message=_l("Enter the report reference.")), Length(max=80)])
    valued_on = DateField(_l("Valuation date"), validators=[InputRequired(message=_l("Enter a date (YYYY-MM-DD)."))])
    submit = SubmitField(_l("Record the valuation"))


class NoticeForm(FlaskForm):
    """The public notice and what it discloses."""

    start_price = YuanField(_l("Starting price of the first round (¥)"), validators=[Optional()])
    deposit_percent = DecimalField(_l("Deposit (percentage of the starting price)"), places=2,
                                   validators=[InputRequired(message=_l("Enter the deposit as a percentage.")),
                                               NumberRange(min=0, max=100)])
    notice_days = IntegerField(_l("Notice period (days)"), validators=[InputRequired(), NumberRange(min=1, max=365)])
    encumbrances = TextAreaField(_l("Encumbrances (licences, other pledges, seizures), or “none known”"),
                                 validators=[DataRequired(message=_l("Disclose the encumbrances, or write “none known”.")),
                                             Length(max=2000)])
    first_refusal_holders = TextAreaField(_l("First-refusal holders, one per line: name | basis"),
                                          validators=[Optional(), Length(max=2000)])
    summary = TextAreaField(_l("Public summary"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Publish the notice"))

    def holders(self) -> list[tuple[str, str]]:
        """The holders typed, as (name, basis) pairs."""
        found = []
        for line in (self.first_refusal_holders.data or "").splitlines():
            name, _, basis = line.partition("|")
            if name.strip():
                found.append((name.strip()[:200], (basis.strip() or gettext("co-owner"))[:60]))
        return found


class NegotiatedSaleForm(FlaskForm):
    """The buyer and price a negotiated sale agreed."""

    buyer_institution_id = SelectField(_l("Buyer on the platform"), coerce=lambda v: int(v) if v else None,
                                       validators=[Optional()])
    buyer_name = StringField(_l("Buyer (if not on the platform)"), validators=[Optional(), Length(max=200)])
    price = YuanField(_l("Agreed price (¥)"), validators=[InputRequired(message=_l("Enter the agreed price."))])
    submit = SubmitField(_l("Record the sale"))


class SuspendForm(FlaskForm):
    """Why the case is paused."""

    grounds = SelectField(_l("Grounds"), choices=choices(*((g.value, GROUNDS_NAMES[g]) for g in SuspensionGrounds)))
    reason = TextAreaField(_l("Reason"), validators=REASON)
    submit = SubmitField(_l("Suspend"))


class WithdrawForm(FlaskForm):
    """The debtor paid: how much, and a note."""

    paid_by_debtor = YuanField(_l("Amount the debtor paid (¥)"),
                               validators=[InputRequired(message=_l("Enter the amount the debtor paid."))])
    reason = TextAreaField(_l("Reason"), validators=REASON)
    submit = SubmitField(_l("Withdraw the case"))


def _choice(values, names):
    return choices(("", _l("Any")), *((str(v), names[v]) for v in values))


class CatalogueFilterForm(FlaskForm):
    """The catalogue's filters (GET, no CSRF); the API reads the same parameters."""

    class Meta:
        csrf = False

    kind = SelectField(_l("IP kind"), choices=_choice(list(IPKind), KIND_NAMES), validators=[Optional()])
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=60)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=60)])
    channel = SelectField(_l("Channel"), choices=_choice(list(Channel), CHANNEL_NAMES), validators=[Optional()])
    state = SelectField(_l("Stage"), choices=_choice([s for s in STATE_NAMES if s in PUBLIC_STATES], STATE_NAMES),
                        validators=[Optional()])
    min_price = YuanField(_l("Price from (¥)"), validators=[Optional()])
    max_price = YuanField(_l("Price to (¥)"), validators=[Optional()])
    q = StringField(_l("Search title or registry number"), validators=[Optional(), Length(max=100)])
    sort = SelectField(_l("Sort"), choices=choices(("newest", _l("Newest")), ("price_asc", _l("Price: low to high")),
                                                   ("price_desc", _l("Price: high to low")),
                                                   ("ending", _l("Deadline: soonest"))), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100_000)])
    per_page = IntegerField(_l("Per page"), validators=[Optional(), NumberRange(min=1, max=MAX_PER_PAGE)])

    def validate_max_price(self, field):
        """The range must not be upside down."""
        if field.data is not None and self.min_price.data is not None and field.data < self.min_price.data:
            raise ValidationError(_l("The upper price must not be below the lower price."))

    def validate_sort(self, field):
        """Only the sort orders the catalogue offers."""
        if field.data and field.data not in SORTS:
            raise ValidationError(_l("Not a valid choice."))
