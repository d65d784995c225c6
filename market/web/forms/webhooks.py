"""An institution's webhook endpoint: its address and the event types it receives; the buttons that act on it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from market.domain.webhooks import URL_MAX_LENGTH
from market.web.forms.cases import CheckboxesField


class EndpointForm(FlaskForm):
    """Where the institution's system receives events, and which (the page fills in the choices)."""

    url = StringField(_l("Endpoint address (https)"), validators=[
        DataRequired(message=_l("Give the address your system receives events at.")), Length(max=URL_MAX_LENGTH)])
    event_types = CheckboxesField(_l("Events to receive"), validators=[
        DataRequired(message=_l("Choose at least one type of event to receive."))])
    submit = SubmitField(_l("Save"))


class EndpointActionForm(FlaskForm):
    """A button acting on one endpoint (the form carries only the CSRF token)."""

    submit = SubmitField(_l("Confirm"))
