from django import forms
from django.utils.translation import gettext_lazy as _

ENCODINGS = [
    ("", _("Detect automatically (UTF-8 or GB18030)")),
    ("utf-8", "UTF-8"),
    ("gb18030", _("GB18030 / GBK (Chinese Excel)")),
    ("big5", _("Big5 (Traditional Chinese)")),
    ("utf-16", "UTF-16"),
    ("shift_jis", _("Shift JIS (Japanese)")),
    ("euc-kr", _("EUC-KR (Korean)")),
    ("cp1252", _("Windows-1252 (Western)")),
]


class UploadForm(forms.Form):
    encoding = forms.ChoiceField(label=_("Text encoding"), choices=ENCODINGS, required=False,
                                 help_text=_("Only for CSV files. Leave on automatic unless the report says the text could not be read."))
    file = forms.FileField(label=_("Manifest file (.csv or .xlsx)"))

    def __init__(self, *args, too_large=False, limit_text="", **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.limit_text = limit_text
        if too_large:  # the upload handler dropped the file: the one thing to say is why
            self.fields["file"].required = False

    def clean(self):
        if self.too_large:
            message = _("The file is over the limit of %(limit)s. Split it into smaller files.") % {"limit": self.limit_text}
            raise forms.ValidationError(message, code="F_TOO_LARGE")
        return super().clean()
