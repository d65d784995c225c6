"""Filters of the ledger and audit-trail pages (GET, no CSRF): input shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError


class _DateRange(FlaskForm):
    class Meta:
        csrf = False

    since = DateField(_l("From (date)"), validators=[Optional()])
    until = DateField(_l("To (date)"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])

    def validate_until(self, field):
        """The range must not be upside down."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class LedgerFilterForm(_DateRange):
    """Which postings to show."""

    account = StringField(_l("Account"), validators=[Optional(), Length(max=80)])
    case = IntegerField(_l("Case number"), validators=[Optional(), NumberRange(min=1)])


class AuditFilterForm(_DateRange):
    """Which audit events to show."""

    case = IntegerField(_l("Case number"), validators=[Optional(), NumberRange(min=1)])
    actor = StringField(_l("Actor (e-mail or role)"), validators=[Optional(), Length(max=200)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)])
