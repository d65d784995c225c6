"""Forms of the licensing, conversion and claim-transfer pages: input shape only (the domain checks the rules)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from market.domain.claim_transfer import SaleMode
from market.domain.conversion import ExitRoute
from market.domain.errors import Refusal
from market.domain.licensing import MAX_TERM_MONTHS, LicenceKind, ReportingPeriod
from market.web.forms.fields import YuanField, choices
from market.web.i18n import error_message
from market.web.labels import EXIT_LABELS, KIND_LABELS, MODE_LABELS, PERIOD_LABELS

_PERCENT = re.compile(r"^(?P<whole>\d{1,3})(?:\.(?P<frac>\d{0,4}))?$")
CSV_MAX_BYTES = 1_000_000


class InvalidPercent(Refusal):
    """A percentage is typed as digits with at most four decimals, e.g. 5 or 5.25."""

    code = "invalid_percent"


class PercentTooHigh(InvalidPercent):
    """A percentage cannot exceed 100."""

    code = "percent_too_high"


def parse_percent(text: str | None) -> int:
    """Parse a percentage such as "5", "5.25" or "5.25%" into parts per million (0-100%, 4 decimals)."""
    raw = (text or "").strip().rstrip("%").strip()
    match = _PERCENT.match(raw)
    if match is None:
        raise InvalidPercent()
    ppm = int(match["whole"]) * 10_000 + int((match["frac"] or "").ljust(4, "0"))
    if ppm > 1_000_000:
        raise PercentTooHigh()
    return ppm


def ppm_to_percent_text(ppm: int) -> str:
    """Parts per million as the percentage text a form shows: 52_500 -> "5.25"."""
    whole, frac = divmod(ppm, 10_000)
    return f"{whole}.{frac:04d}".rstrip("0").rstrip(".")


class PercentField(StringField):
    """A percentage typed by a person; `field.data` is parts per million."""

    def process_formdata(self, valuelist):
        self.parse_error = None
        self.raw_text = valuelist[0] if valuelist else ""
        if not self.raw_text.strip():
            self.data = None
            return
        try:
            self.data = parse_percent(self.raw_text)
        except InvalidPercent as error:
            self.data, self.parse_error = None, error

    def pre_validate(self, form):
        if getattr(self, "parse_error", None):
            raise ValidationError(error_message(self.parse_error))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ppm_to_percent_text(self.data) if self.data is not None else ""


def _choices(enum_cls, labels: dict) -> list[SelectChoice]:
    return choices(*((member.value, labels[member]) for member in enum_cls))


REQUIRED = _l("This field is required.")


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ReasonForm(FlaskForm):
    """A human decision that must say why."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=REQUIRED), Length(max=2000)])
    submit = SubmitField(_l("Confirm"))


class OpenRoundForm(FlaskForm):
    """Publish a licence offer on a case."""

    kind = SelectField(_l("Kind of licence"), choices=_choices(LicenceKind, KIND_LABELS))
    field_of_use = StringField(_l("Field of use"), validators=[DataRequired(message=REQUIRED), Length(max=300)])
    territory = StringField(_l("Territory"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    term_months = IntegerField(_l("Term (months)"),
                               validators=[InputRequired(message=REQUIRED), NumberRange(1, MAX_TERM_MONTHS)])
    reporting_period = SelectField(_l("Reporting and payment period"),
                                   choices=_choices(ReportingPeriod, PERIOD_LABELS), default="quarterly")
    min_upfront = YuanField(_l("Minimum upfront fee (¥)"), allow_zero=True,
                            validators=[InputRequired(message=REQUIRED)])
    min_royalty_rate = PercentField(_l("Minimum royalty rate (percentage of net sales)"),
                                    validators=[InputRequired(message=REQUIRED)])
    reference_sales = YuanField(_l("Reference yearly net sales for scoring (¥)"), allow_zero=True,
                                validators=[InputRequired(message=REQUIRED)])
    discount_rate = PercentField(_l("Discount rate for scoring (% a year)"),
                                 validators=[InputRequired(message=REQUIRED)])
    offer_deadline = DateTimeLocalField(_l("Offers close at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                        validators=[DataRequired(message=REQUIRED)])
    submit = SubmitField(_l("Publish the licence offer"))


class LicenceOfferForm(FlaskForm):
    """A sealed licence offer."""

    upfront = YuanField(_l("Upfront fee (¥)"), allow_zero=True, validators=[InputRequired(message=REQUIRED)])
    royalty_rate = PercentField(_l("Royalty rate (percentage of net sales)"), validators=[InputRequired(message=REQUIRED)])
    min_annual_royalty = YuanField(_l("Guaranteed minimum royalty a year (¥, optional)"), allow_zero=True,
                                   validators=[Optional()])
    note = TextAreaField(_l("Note to the trading centre (optional)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Submit sealed offer"))


class RecordOfferForm(LicenceOfferForm):
    """The centre records a sealed offer received from a firm that is not on the platform."""

    applicant_name = StringField(_l("Applicant firm"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    applicant_credit_code = StringField(_l("Unified social credit code"),
                                        validators=[DataRequired(message=REQUIRED), Length(min=18, max=18)])
    submit = SubmitField(_l("Record the offer"))


class AwardForm(FlaskForm):
    """Choose the licensee(s) from the ranking."""

    offer_ids = SelectMultipleField(_l("Offers to award"), coerce=int, option_widget=CheckboxInput(),
                                    widget=ListWidget(prefix_label=False))
    reason = TextAreaField(_l("Reason (required when passing over a better-ranked offer)"),
                           validators=[Length(max=2000)])
    submit = SubmitField(_l("Award"))


class PledgeeConsentForm(FlaskForm):
    """The pledgee bank's decision on the awarded licence (Civil Code art. 444)."""

    reference = StringField(_l("Consent reference (letter or approval number)"), validators=[Length(max=120)])
    reason = TextAreaField(_l("Reason (when refusing)"), validators=[Length(max=2000)])
    consent = SubmitField(_l("Consent"))
    refuse = SubmitField(_l("Refuse consent"))


class SignForm(FlaskForm):
    """The signed licence contract(s)."""

    contract_refs = TextAreaField(_l("Contract references, one per licensee, in rank order"),
                                  validators=[DataRequired(message=REQUIRED), Length(max=2000)])
    signed_on = DateField(_l("Signed on"), validators=[DataRequired(message=REQUIRED)])
    starts_on = DateField(_l("Licence starts on (default: the signing date)"), validators=[Optional()])
    submit = SubmitField(_l("Record the signing"))


class PaymentForm(FlaskForm):
    """A royalty received."""

    received_on = DateField(_l("Received on"), validators=[DataRequired(message=REQUIRED)])
    amount = YuanField(_l("Amount (¥)"), validators=[InputRequired(message=REQUIRED)])
    reference = StringField(_l("Bank transfer reference"), validators=[DataRequired(message=REQUIRED),
                                                                       Length(max=60)])
    reported_sales = YuanField(_l("Net sales reported for the period (¥, optional)"), allow_zero=True,
                               validators=[Optional()])
    submit = SubmitField(_l("Record the payment"))


class CsvImportForm(FlaskForm):
    """A statement of royalty payments as CSV."""

    statement = FileField(_l("CSV file (received_on, amount, reference[, reported_sales])"),
                          validators=[FileRequired(message=_l("Choose a CSV file."))])
    submit = SubmitField(_l("Import"))


class RecordalForm(FlaskForm):
    """A recordal with the IP office."""

    recordal_number = StringField(_l("Recordal number"), validators=[DataRequired(message=REQUIRED),
                                                                     Length(max=80)])
    recorded_on = DateField(_l("Recorded on"), validators=[DataRequired(message=REQUIRED)])
    submit = SubmitField(_l("Record the recordal"))


class ConversionForm(FlaskForm):
    """An AIC's proposal to buy the claim and convert it into equity."""

    aic_id = SelectField(_l("Financial asset investment company (AIC)"), coerce=int)
    claim_price = YuanField(_l("Price the AIC pays for the claim (¥)"), validators=[InputRequired(message=REQUIRED)])
    claim_valuation = YuanField(_l("Valuation of the claim (¥)"), validators=[InputRequired(message=REQUIRED)])
    valuation_report_ref = StringField(_l("Valuation report"), validators=[DataRequired(message=REQUIRED),
                                                                           Length(max=80)])
    pre_money_valuation = YuanField(_l("Borrower's pre-money equity valuation (¥)"),
                                    validators=[InputRequired(message=REQUIRED)])
    lockup_months = IntegerField(_l("Lock-up (months)"), validators=[InputRequired(message=REQUIRED),
                                                                     NumberRange(0, 120)])
    exit_route = SelectField(_l("Exit route"), choices=_choices(ExitRoute, EXIT_LABELS))
    exit_terms = TextAreaField(_l("Exit terms"), validators=[DataRequired(message=REQUIRED), Length(max=4000)])
    fund_compensation = BooleanField(_l("The compensation fund will be asked to pay for the loss"))
    submit = SubmitField(_l("Propose the conversion"))


class ConversionConsentForm(FlaskForm):
    """One party's decision on a conversion."""

    reference = StringField(_l("Reference (board resolution number for the borrower)"),
                            validators=[Length(max=120)])
    note = TextAreaField(_l("Note (the reason, when refusing)"), validators=[Length(max=2000)])
    consent = SubmitField(_l("Consent"))
    refuse = SubmitField(_l("Refuse"))


class ClaimListingForm(FlaskForm):
    """A bank lists one of its loans with its pledge."""

    loan_id = SelectField(_l("Loan"), coerce=int)
    mode = SelectField(_l("Sold by"), choices=_choices(SaleMode, MODE_LABELS))
    asking_price = YuanField(_l("Asking price (¥)"), validators=[InputRequired(message=REQUIRED)])
    offer_deadline = DateTimeLocalField(_l("Offers close at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                        validators=[DataRequired(message=REQUIRED)])
    data_room_notes = TextAreaField(_l("Data room: what buyers should know (documents, servicing history)"),
                                    validators=[Length(max=10_000)])
    submit = SubmitField(_l("Ask the centre to list it"))


class OpenClaimAuctionForm(FlaskForm):
    """The round the centre sets for a claim sold by auction."""

    starting_price = YuanField(_l("Starting price (¥)"), validators=[InputRequired(message=REQUIRED)])
    increment = YuanField(_l("Increment (¥)"), validators=[InputRequired(message=REQUIRED)])
    deposit = YuanField(_l("Deposit (¥)"), validators=[InputRequired(message=REQUIRED)])
    ends_at = DateTimeLocalField(_l("Bidding ends at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired(message=REQUIRED)])
    submit = SubmitField(_l("Open the claim auction"))


class ClaimOfferForm(FlaskForm):
    """An offer for a claim."""

    price = YuanField(_l("Price offered (¥)"), validators=[InputRequired(message=REQUIRED)])
    terms = TextAreaField(_l("Terms (payment date, conditions)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Submit offer"))


class AcceptOfferForm(FlaskForm):
    """The seller accepts one offer."""

    offer_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Accept this offer"))
