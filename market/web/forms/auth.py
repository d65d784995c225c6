"""Login form, and the registration a first-refusal holder reaches from its invitation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an email address such as name@bank.cn."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class RevokeTokenForm(FlaskForm):
    """Revoke one API token (the form carries only the CSRF token)."""

    submit = SubmitField(_l("Revoke"))


class HolderRegistrationForm(FlaskForm):
    """A first-refusal holder registers its user (and, if new, its institution) from an invitation link."""

    credit_code = StringField(_l("Unified social credit code"), validators=[
        DataRequired(), Regexp(r"^\s*[0-9A-Za-z]{18}\s*$", message=_l("A unified social credit code has 18 letters and digits."))])
    kind = SelectField(_l("Kind of institution (if it is new on the platform)"))
    display_name = StringField(_l("Your name"), validators=[Optional(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Enter an email address such as name@bank.cn."))])
    password = PasswordField(_l("Password (at least 10 characters)"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Register and link"))
