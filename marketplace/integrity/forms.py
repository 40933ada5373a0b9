"""Forms of the bureau's lists (they validate, never save)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.accounts.identity_numbers import ID_KIND_NAMES

IMPORT_KINDS = [("integrity_list", _l("Integrity list (失信名单 / 科研诚信)")),
                ("certification", _l("Certification lists (高新技术企业 / 科技型中小企业)")),
                ("people", _l("People of organisations (business-registry export)"))]


class EntryForm(FlaskForm):
    subject = RadioField(_l("Who is listed"), choices=[
        ("organisation", _l("An organisation")), ("person", _l("A person"))],
        default="organisation", validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    uscc = StringField(_l("Unified social credit code (an organisation)"),
                       validators=[Optional(), Length(max=30)])
    id_kind = SelectField(_l("Document (a person)"),
                          choices=[(k, v) for k, v in ID_KIND_NAMES.items() if k != "uscc"],
                          default="resident_id")
    id_number = StringField(_l("Identity-document number (a person)"),
                            validators=[Optional(), Length(max=30)],
                            description=_l("Stored only as a keyed hash; shown masked."))
    reason = TextAreaField(_l("Reason of the listing"),
                           validators=[DataRequired(), Length(max=2000)])
    source = StringField(_l("Source (the list or decision it comes from)"),
                         validators=[DataRequired(), Length(max=200)])
    listed_from = DateField(_l("Listed from"), validators=[DataRequired()])
    listed_to = DateField(_l("Listed until (empty: until lifted)"), validators=[Optional()])


class LiftForm(FlaskForm):
    reason = TextAreaField(_l("Why the listing ends"),
                           validators=[DataRequired(), Length(max=2000)])


class ListImportForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=IMPORT_KINDS,
                       validators=[DataRequired()])
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired(
        message=_l("Choose a file."))])

    def validate_file(self, field):
        name = (field.data.filename or "").lower() if field.data else ""
        if not name.endswith((".csv", ".xlsx")):
            raise ValidationError(_l("Choose a .csv or .xlsx file."))
