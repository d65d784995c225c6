"""A user's e-mail preferences: which kinds of notice are mailed, and in which language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField
from wtforms.validators import DataRequired

from market.domain.notices import NoticeType
from market.web.forms.cases import CheckboxesField
from market.web.forms.fields import choices
from market.web.notice_words import NOTICE_NAMES


class MailPreferencesForm(FlaskForm):
    """The kinds of notice to mail (none: no mail at all) and the mail's language."""

    types = CheckboxesField(_l("Notices to receive by e-mail"),
                            choices=choices(*((t.value, NOTICE_NAMES[t]) for t in NoticeType)))
    language = RadioField(_l("Language of the e-mails"), choices=choices(("zh", "中文"), ("en", "English")),
                          validators=[DataRequired()])
    submit = SubmitField(_l("Save"))
