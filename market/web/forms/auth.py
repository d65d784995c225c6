"""Login form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an email address such as name@bank.cn."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class RevokeTokenForm(FlaskForm):
    """Revoke one API token (the form carries only the CSRF token)."""

    submit = SubmitField(_l("Revoke"))
