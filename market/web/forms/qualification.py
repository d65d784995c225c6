"""Qualification forms: a proof per condition, submitting, the operator's conditions, decisions and lifts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from market.domain.qualification import MAX_CONDITION_CHARS, MAX_REASON_CHARS

REQUIRED = _l("This field is required.")


class ProofForm(FlaskForm):
    """One document proving one condition (PDF, PNG or JPEG; the store checks it)."""

    proof = FileField(_l("Proof (PDF, PNG or JPEG, at most 10 MB)"))
    submit = SubmitField(_l("Upload the proof"))


class SubmitRegistrationForm(FlaskForm):
    """Send the registration with its proofs to the trading centre."""

    submit = SubmitField(_l("Submit for approval"))


class ConditionForm(FlaskForm):
    """A condition every bidder for the lot must prove."""

    text = StringField(_l("Condition (e.g. holds an industry licence)"),
                       validators=[DataRequired(message=REQUIRED), Length(max=MAX_CONDITION_CHARS)])
    submit = SubmitField(_l("Add the condition"))


class RemoveConditionForm(FlaskForm):
    """Remove a condition (before anyone registered)."""

    submit = SubmitField(_l("Remove"))


class DecisionForm(FlaskForm):
    """The operator approves or refuses a registration; a refusal says why."""

    reason = TextAreaField(_l("Reason (required to refuse; the institution reads it)"),
                           validators=[Optional(), Length(max=MAX_REASON_CHARS)])
    approve = SubmitField(_l("Approve"))
    refuse = SubmitField(_l("Refuse"))


class LiftBanForm(FlaskForm):
    """The operator lifts a ban, saying why."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=REQUIRED), Length(max=MAX_REASON_CHARS)])
    submit = SubmitField(_l("Lift the ban"))
