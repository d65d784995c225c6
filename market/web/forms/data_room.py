"""The data room's forms: a document, the NDA, the seller's approvals, a question and its answer, the question
close, an inspection slot, a booking and attendance (shape only; the rules are in market.domain.data_room)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from market.domain.data_room import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SLOT_CAPACITY,
    MAX_TITLE_CHARS,
    Attendance,
    DocumentCategory,
    InspectionKind,
)
from market.web.forms.fields import choices

REQUIRED = _l("This field is required.")
BEIJING_FORMAT = "%Y-%m-%dT%H:%M"


class DocumentForm(FlaskForm):
    """A file for the room, with what it is and whether only NDA signatories may read it."""

    category = SelectField(_l("Category"), choices=[], validators=[DataRequired(message=REQUIRED)],
                           coerce=DocumentCategory)
    title = StringField(_l("Title (empty: the file's name)"), validators=[Length(max=MAX_TITLE_CHARS)])
    confidential = BooleanField(_l("Confidential: only for institutions registered for the lot that accepted the NDA"),
                                default=True)
    file = FileField(_l("File (PDF, PNG or JPEG, at most 10 MB)"),
                     validators=[FileRequired(message=_l("Choose a file to upload."))])
    submit = SubmitField(_l("Add to the data room"))


class NdaForm(FlaskForm):
    """An institution accepts the lot's NDA in the version shown."""

    version = HiddenField()
    agree = BooleanField(_l("I accept this confidentiality undertaking for my institution"),
                         validators=[DataRequired(message=_l("Tick the box to accept the undertaking."))])
    submit = SubmitField(_l("Accept the NDA"))


class ApprovalSettingForm(FlaskForm):
    """The seller decides whether each institution needs its approval."""

    approval_required = BooleanField(_l("Each institution needs our approval after accepting the NDA"))
    submit = SubmitField(_l("Save"))


class DecisionForm(FlaskForm):
    """A button that needs nothing but the CSRF token (approve, revoke, withdraw, book, cancel)."""

    submit = SubmitField(_l("Confirm"))


class QuestionForm(FlaskForm):
    """A question about the lot."""

    text = TextAreaField(_l("Your question"), validators=[DataRequired(message=REQUIRED),
                                                           Length(max=MAX_QUESTION_CHARS)])
    submit = SubmitField(_l("Ask"))


class AnswerForm(FlaskForm):
    """The centre's answer to one question."""

    text = TextAreaField(_l("Answer"), validators=[DataRequired(message=REQUIRED), Length(max=MAX_ANSWER_CHARS)])
    submit = SubmitField(_l("Publish the answer"))


class CloseQuestionsForm(FlaskForm):
    """When questions close, before bidding may open."""

    closes_at = DateTimeLocalField(_l("Questions close at (Beijing time)"), format=BEIJING_FORMAT,
                                   validators=[InputRequired(message=REQUIRED)])
    submit = SubmitField(_l("Set the close"))


class SlotForm(FlaskForm):
    """An inspection slot the centre offers."""

    kind = SelectField(_l("Kind"), choices=[], validators=[DataRequired(message=REQUIRED)], coerce=InspectionKind)
    starts_at = DateTimeLocalField(_l("Starts (Beijing time)"), format=BEIJING_FORMAT,
                                   validators=[InputRequired(message=REQUIRED)])
    ends_at = DateTimeLocalField(_l("Ends (Beijing time)"), format=BEIJING_FORMAT,
                                 validators=[InputRequired(message=REQUIRED)])
    place = StringField(_l("Place"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    capacity = IntegerField(_l("Places (institutions)"), default=5,
                            validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=MAX_SLOT_CAPACITY)])
    submit = SubmitField(_l("Publish the slot"))


class AttendanceForm(FlaskForm):
    """Whether a booked institution came."""

    attendance = SelectField(_l("Attendance"), choices=[], validators=[DataRequired(message=REQUIRED)],
                             coerce=Attendance)
    submit = SubmitField(_l("Record"))


def with_choices(form, labels: dict) -> FlaskForm:
    """Fill a form's enum select from a label table (member → words)."""
    field = next(f for f in form if isinstance(f, SelectField))
    field.choices = choices(*((member.value, label) for member, label in labels.items()))
    return form
