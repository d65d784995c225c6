"""Form fields shared by every area."""

from __future__ import annotations

from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

from market.domain.money import InvalidAmount, format_yuan, parse_yuan
from market.web.i18n import error_message


def choices(*pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.4 takes no bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


class YuanField(StringField):
    """An amount typed in yuan, parsed strictly into integer fen (`field.data` is fen)."""

    def __init__(self, label=None, validators=None, allow_zero: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allow_zero = allow_zero
        self.parse_error: InvalidAmount | None = None

    def process_formdata(self, valuelist):
        self.parse_error = None
        self.raw_text = valuelist[0] if valuelist else ""
        # Spaces around what a person typed or pasted are invisible to them, so a form forgives those (and
        # only those); the API and CSV imports send exactly the text parse_yuan reads.
        text = self.raw_text.strip()
        if not text:
            self.data = None
            return
        try:
            self.data = parse_yuan(text, field=self.label.text, allow_zero=self.allow_zero)
        except InvalidAmount as error:
            self.data = None
            self.parse_error = error

    def pre_validate(self, form):
        if self.parse_error:  # the reason, not a later validator's "required" (DataRequired clears errors)
            raise StopValidation(error_message(self.parse_error))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_yuan(self.data, symbol="").replace(",", "") if self.data is not None else ""
