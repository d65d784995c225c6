"""Forms of settlement, claims and the fund: input shape only (the services check the rules)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
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

from market.domain.ledger import BudgetLine
from market.domain.levers import StopLossResume
from market.domain.loss import Shortfall
from market.domain.settlement import ClaimKind, ReviewDecision
from market.web.forms.fields import YuanField, choices

_PERCENT = re.compile(r"^\d{1,3}(\.\d{1,4})?$")


class PercentField(StringField):
    """A share typed in percent with at most four decimals ("30", "12.5"); `data` is parts per million."""

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "").strip().rstrip("%").strip()
        self.parse_error = None
        self.data = None
        if not self.raw_text:
            return
        if not _PERCENT.match(self.raw_text):
            self.parse_error = _l("Enter a percentage such as 30 or 12.5 (at most four decimals).")
            return
        whole, _, frac = self.raw_text.partition(".")
        ppm = int(whole) * 10_000 + int(frac.ljust(4, "0") or 0)
        if ppm > 1_000_000:
            self.parse_error = _l("A share is at most 100%.")
            return
        self.data = ppm

    def pre_validate(self, form):
        if getattr(self, "parse_error", None):
            raise ValidationError(self.parse_error)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data / 10_000:.4f}".rstrip("0").rstrip(".")


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SettleForm(FlaskForm):
    """The disposal costs paid first out of the proceeds (prefilled from the centre's settings)."""

    commission = YuanField(_l("Trading-centre commission (¥)"), allow_zero=True, validators=[InputRequired()])
    appraisal = YuanField(_l("Appraisal fee (¥)"), allow_zero=True, validators=[InputRequired()])
    taxes = YuanField(_l("Taxes (¥)"), allow_zero=True, validators=[InputRequired()])
    other = YuanField(_l("Other disposal costs (¥)"), allow_zero=True, validators=[InputRequired()])
    submit = SubmitField(_l("Settle the case"))


class TransferForm(FlaskForm):
    """The date the transfer (or licence recordal) was registered and the pledge released."""

    released_on = DateField(_l("Pledge released on"), validators=[DataRequired()])
    submit = SubmitField(_l("Record the transfer"))


class LaterRecoveryForm(FlaskForm):
    """Money recovered after settlement, e.g. royalties."""

    amount = YuanField(_l("Amount recovered (¥)"), validators=[InputRequired()])
    memo = StringField(_l("What it is"), validators=[DataRequired(), Length(max=200)])
    through_centre = BooleanField(_l("Received through the trading centre's account"), default=True)
    submit = SubmitField(_l("Record and re-run the statement"))


class ReviewForm(FlaskForm):
    """A bureau user's decision on a claim."""

    decision = RadioField(_l("Decision"), choices=choices(
        (ReviewDecision.APPROVE.value, _l("Approve")),
        (ReviewDecision.REDUCE.value, _l("Reduce")),
        (ReviewDecision.REJECT.value, _l("Reject")),
    ), validators=[DataRequired()])
    amount = YuanField(_l("Reduced amount (¥)"), validators=[Optional()])
    reason = TextAreaField(_l("Reason (required to reduce or reject; the claimant sees it)"),
                           validators=[Length(max=2000)])
    submit = SubmitField(_l("Record the decision"))


SIZE_BAND_ROWS = 4  # rows shown for loan-size bands (blank rows are ignored)
BANK_RATIO_ROWS = 3  # rows shown for ratios by bank, beyond those the policy already names


class SizeBandForm(FlaskForm):
    """One loan-size band: loans up to its edge get its ratio (a row of the policy form)."""

    class Meta:
        csrf = False  # part of the policy form, which carries the token

    edge = YuanField(_l("Loans up to (¥)"), validators=[Optional()])
    ratio = PercentField(_l("Compensation ratio (%)"), validators=[Optional()])

    def validate(self, extra_validators=None):
        """A band needs both its edge and its ratio (a blank row is no band)."""
        if not super().validate(extra_validators):
            return False
        if (self.edge.data is None) != (self.ratio.data is None):
            missing = self.edge if self.edge.data is None else self.ratio
            missing.errors.append(_l("Give both the band's upper edge and its ratio, or leave the row blank."))
            return False
        return True


class BankRatioForm(FlaskForm):
    """One lending bank's own ratio (a row of the policy form); the view fills the banks in."""

    class Meta:
        csrf = False

    bank = SelectField(_l("Bank"), choices=[], default="")
    ratio = PercentField(_l("Compensation ratio (%)"), validators=[Optional()])

    def validate(self, extra_validators=None):
        """A row names a bank and its ratio, or neither."""
        if not super().validate(extra_validators):
            return False
        if bool(self.bank.data) != (self.ratio.data is not None):
            missing = self.ratio if self.bank.data else self.bank
            missing.errors.append(_l("Choose the bank and give its ratio, or leave the row blank."))
            return False
        return True


class PolicyForm(FlaskForm):
    """A new version of the fund's policy."""

    ratio_bank = PercentField(_l("Bank: compensation ratio (%)"), validators=[InputRequired()])
    ratio_guarantor = PercentField(_l("Guarantor: compensation ratio (%)"), validators=[InputRequired()])
    ratio_insurer = PercentField(_l("Insurer: compensation ratio (%)"), validators=[InputRequired()])
    ratio_agency = PercentField(_l("Agency: compensation ratio (%)"), validators=[InputRequired()])
    cap_bank = YuanField(_l("Bank: cap per loan (¥, blank for none)"), validators=[Optional()])
    cap_guarantor = YuanField(_l("Guarantor: cap per loan (¥, blank for none)"), validators=[Optional()])
    cap_insurer = YuanField(_l("Insurer: cap per loan (¥, blank for none)"), validators=[Optional()])
    cap_agency = YuanField(_l("Agency: cap per loan (¥, blank for none)"), validators=[Optional()])
    cap_per_loan = YuanField(_l("Cap on the sum of a loan's claims (¥, blank for none)"), validators=[Optional()])
    cap_per_institution_year = YuanField(_l("Cap per institution per year (¥, blank for none)"),
                                         validators=[Optional()])
    annual_budget = YuanField(_l("Annual compensation budget (¥)"), allow_zero=True, validators=[InputRequired()])
    subsidy_budget = YuanField(_l("Annual subsidy budget (¥)"), allow_zero=True, validators=[InputRequired()])
    shortfall = SelectField(_l("When the money runs short"), choices=choices(
        (Shortfall.WAIT.value, _l("Claims wait in order of approval")),
        (Shortfall.LAPSE.value, _l("The unpaid part lapses")),
    ))
    four_eyes_above = YuanField(_l("Second approval above (¥, blank for never)"), validators=[Optional()])
    interest_subsidy = PercentField(_l("Interest subsidy: share of interest paid (%)"), validators=[InputRequired()])
    interest_subsidy_cap = YuanField(_l("Interest subsidy: cap per firm per year (¥)"), validators=[Optional()])
    appraisal_subsidy = PercentField(_l("Appraisal-fee subsidy: share (%)"), validators=[InputRequired()])
    appraisal_subsidy_cap = YuanField(_l("Appraisal-fee subsidy: cap per firm per year (¥)"), validators=[Optional()])
    premium_subsidy = PercentField(_l("Guarantee-fee / premium subsidy: share (%)"), validators=[InputRequired()])
    premium_subsidy_cap = YuanField(_l("Premium subsidy: cap per firm per year (¥)"), validators=[Optional()])
    annual_cap = YuanField(_l("Annual cap on compensation approved (¥, blank for none)"), validators=[Optional()])
    stop_loss = PercentField(_l("Stop-loss line: a bank's losses over its loans (%, blank for none)"),
                             validators=[Optional()])
    stop_loss_resume = SelectField(_l("A bank past the line is compensated again"), default="year_end",
                                   choices=choices(
        (StopLossResume.YEAR_END.value, _l("When the year ends")),
        (StopLossResume.BELOW.value, _l("When its losses fall back below the line")),
    ))
    size_bands = FieldList(FormField(SizeBandForm), min_entries=SIZE_BAND_ROWS, max_entries=20)
    above_ratio = PercentField(_l("Loans above the last edge: compensation ratio (%)"), validators=[Optional()])
    bank_ratios = FieldList(FormField(BankRatioForm), min_entries=BANK_RATIO_ROWS, max_entries=100)
    note = TextAreaField(_l("What changed and why"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Save as a new version"))

    def offer_banks(self, banks: list[tuple[int, str]]) -> None:
        """The banks each ratio-by-bank row may name (id, name): set before the form is validated."""
        options = choices(("", _l("(no bank)")), *((str(bank_id), name) for bank_id, name in banks))
        for row in self.bank_ratios:
            row.bank.choices = options

    def validate(self, extra_validators=None):
        """The fields, then the ratio above the last band (Optional() ends a blank field's own checks) and
        each bank named at most once."""
        valid = super().validate(extra_validators)
        if self.above_ratio.data is None and any(row.edge.data is not None for row in self.size_bands):
            self.above_ratio.errors.append(_l("Give the ratio for loans above the last edge."))
            valid = False
        named = set()
        for row in self.bank_ratios:
            if row.bank.data and row.bank.data in named:
                row.bank.errors.append(_l("This bank already has a ratio above."))
                valid = False
            named.add(row.bank.data)
        return valid

    def size_band_settings(self) -> dict:
        """The bands typed, as the policy version's columns (no band rows: no bands, whatever is above)."""
        bands = [(row.edge.data, row.ratio.data) for row in self.size_bands if row.edge.data is not None]
        if not bands and self.above_ratio.data is None:
            return {"size_band_edges_fen": [], "size_band_ratios_ppm": []}
        return {"size_band_edges_fen": [edge for edge, _ in bands],
                "size_band_ratios_ppm": [ratio for _, ratio in bands] + [self.above_ratio.data]}

    def bank_ratio_settings(self) -> dict:
        """The ratios by bank typed, as the policy version's column (institution id -> ppm)."""
        return {"bank_ratios_ppm": {row.bank.data: row.ratio.data for row in self.bank_ratios if row.bank.data}}

    def show_levers(self, edges_fen: list[int], ratios_ppm: list[int], bank_ratios_ppm: dict[str, int]) -> None:
        """Fill the band and bank rows from a policy version (with blank rows to add more)."""
        while len(self.size_bands) < len(edges_fen) + 1:
            self.size_bands.append_entry()
        for row, edge, ratio in zip(self.size_bands, edges_fen, ratios_ppm, strict=False):
            row.edge.data, row.ratio.data = edge, ratio
        self.above_ratio.data = ratios_ppm[-1] if ratios_ppm else None
        while len(self.bank_ratios) < len(bank_ratios_ppm) + BANK_RATIO_ROWS:
            self.bank_ratios.append_entry()
        for row, (bank, ratio) in zip(self.bank_ratios, bank_ratios_ppm.items(), strict=False):
            row.bank.data, row.ratio.data = bank, ratio


class ContributionForm(FlaskForm):
    """Money put into the fund."""

    amount = YuanField(_l("Amount (¥)"), validators=[InputRequired()])
    memo = StringField(_l("Source (e.g. municipal appropriation)"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Record the contribution"))


class BudgetForm(FlaskForm):
    """A year's budget line, or a top-up of it."""

    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    line = SelectField(_l("Budget line"), choices=choices(
        (BudgetLine.COMPENSATION.value, _l("Compensation")),
        (BudgetLine.SUBSIDY.value, _l("Subsidies")),
    ))
    amount = YuanField(_l("Amount (¥)"), validators=[InputRequired()])
    memo = StringField(_l("Decision reference"), validators=[Length(max=200)])
    submit = SubmitField(_l("Grant"))


class CloseYearForm(FlaskForm):
    """Year-end: the rest of a year's budget lapses."""

    year = IntegerField(_l("Year to close"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    submit = SubmitField(_l("Close the year"))


class SubsidyForm(FlaskForm):
    """A subsidy claim for a loan's borrower."""

    loan = SelectField(_l("Loan"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("Subsidy"), choices=choices(
        (ClaimKind.INTEREST_SUBSIDY.value, _l("Interest subsidy")),
        (ClaimKind.APPRAISAL_SUBSIDY.value, _l("Appraisal-fee subsidy")),
        (ClaimKind.PREMIUM_SUBSIDY.value, _l("Guarantee-fee / premium subsidy")),
    ))
    base = YuanField(_l("Interest or fee actually paid (¥)"), validators=[InputRequired()])
    evidence = StringField(_l("Evidence (statement or invoice number)"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("File the subsidy claim"))
