"""Form fields shared by every domain."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.core.money import MoneyError, format_fen, yuan_to_fen

MAX_AMOUNT_FEN = 10**14  # ¥1 trillion: far above any real figure, far below BigInteger


class YuanField(StringField):
    """An amount typed in yuan ("200,000" or "1234.50"); ``.data`` is integer fen.

    The typed text is kept on error so the person sees what they wrote.
    """

    def __init__(self, label=None, validators=None, minimum_fen=1, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum_fen = minimum_fen
        self.typed = None

    def process_formdata(self, valuelist):
        self.typed = valuelist[0] if valuelist else ""
        if not self.typed.strip():
            self.data = None
            return
        try:
            self.data = yuan_to_fen(self.typed)
        except MoneyError:
            self.data = None
            raise ValueError(_l("Enter an amount in yuan, such as 200000 or 1234.50."))

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.data < self.minimum_fen:
            raise ValidationError(_l("The amount must be at least %(min)s.",
                                     min=format_fen(self.minimum_fen)))
        if self.data > MAX_AMOUNT_FEN:
            raise ValidationError(_l("The amount is too large."))

    def _value(self):
        if self.typed is not None:
            return self.typed
        if self.data is None:
            return ""
        yuan, cents = divmod(int(self.data), 100)
        return f"{yuan}" if cents == 0 else f"{yuan}.{cents:02d}"


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
