"""The sandbox clock's form: how far forward to jump."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from market.web.forms.fields import choices

# How far one jump may go in each unit (the domain refuses more than ten years in any case).
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}


class JumpForm(FlaskForm):
    """Move the sandbox's clock forward by a number of minutes, hours or days."""

    amount = IntegerField(_l("Forward by"), validators=[
        InputRequired(message=_l("Enter a whole number.")),
        NumberRange(min=1, max=100_000, message=_l("Enter a whole number from 1 to 100,000."))])
    unit = SelectField(_l("Unit"), default="days", validators=[InputRequired()],
                       choices=choices(("minutes", _l("minutes")), ("hours", _l("hours")), ("days", _l("days"))))
    submit = SubmitField(_l("Jump forward"))
