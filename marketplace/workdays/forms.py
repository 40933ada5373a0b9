"""The calendar's forms (they validate, never save)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    kind = RadioField(_l("The day is"), choices=[
        ("holiday", _l("a holiday (no work)")),
        ("workday", _l("a make-up working day (调休: a weekend day worked)"))],
        validators=[InputRequired(message=_l("Choose what the day is."))])
    name_zh = StringField(_l("Name (Chinese)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=64)],
                          description=_l("For example 国庆节 or 国庆节调休上班."))
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[DataRequired(), Length(max=128)])

    def fill_from(self, listed):
        self.day.data = listed.day
        self.kind.data = "workday" if listed.is_working else "holiday"
        self.name_zh.data, self.name_en.data = listed.name_zh, listed.name_en


class RemoveDayForm(FlaskForm):
    confirm = BooleanField(_l("Yes, remove this day: it follows the week's rule again."),
                           validators=[DataRequired(_l("Tick the box to remove the day."))])


class CalendarImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a file."))],
                     description=_l("Columns: date, working, name_zh, name_en (or 日期, 类型, "
                                    "名称, 英文名称); working is holiday/休息 or workday/上班. "
                                    "UTF-8 or GB18030."))

    def validate_file(self, field):
        name = (field.data.filename or "").lower() if field.data else ""
        if not name.endswith(".csv"):
            raise ValidationError(_l("Choose a .csv file."))
