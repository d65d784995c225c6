"""The registry desk's forms: one status change, an IP-office CSV, and a hold's resumption or withdrawal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from market.domain.registry import RegistryStatus

REQUIRED = _l("This field is required.")


class StatusChangeForm(FlaskForm):
    """A legal-status change as the operator reads it from the office's register."""

    registry_number = StringField(_l("Registry number"), validators=[DataRequired(message=REQUIRED), Length(max=60)])
    status = SelectField(_l("New status"), choices=[], validators=[DataRequired(message=REQUIRED)],
                         coerce=RegistryStatus)
    effective_on = DateField(_l("Effective date"), validators=[DataRequired(message=_l("Enter a date."))])
    source_ref = StringField(_l("Source document (announcement no., notice or decision)"),
                             validators=[DataRequired(message=REQUIRED), Length(max=200)])
    submit = SubmitField(_l("Record the change"))


class OfficeCsvForm(FlaskForm):
    """A legal-status file in the layout of the IP office's data."""

    statement = FileField(_l("CSV file (registry_number, event_code, date[, source])"),
                          validators=[FileRequired(message=_l("Choose a CSV file."))])
    submit = SubmitField(_l("Import"))


class HoldDecisionForm(FlaskForm):
    """Resume or withdraw a held sale, saying why."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=REQUIRED), Length(max=2000)])
    submit = SubmitField(_l("Confirm"))
