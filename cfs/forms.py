"""The forms of the CFS screens: parsing only; cfs/services.py decides."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CollectionForm(forms.Form):
    manifests = forms.TypedMultipleChoiceField(label=_("MAWBs"), coerce=int,
                                               error_messages={"required": _("Choose at least one MAWB.")})
    driver = forms.CharField(label=_("Driver"), max_length=120)
    truck = forms.CharField(label=_("Truck"), max_length=40, help_text=_("Licence plate or fleet number."))
    bonded_carrier = forms.CharField(label=_("Bonded carrier"), max_length=120)

    def __init__(self, *args, manifests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manifests"].choices = [(m.pk, str(m)) for m in manifests]


class ArrivalForm(forms.Form):
    pieces_received = forms.IntegerField(label=_("Pieces counted"), min_value=0, max_value=10_000_000)
    note = forms.CharField(label=_("Note on a shortage or an overage"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class CarrierForm(forms.Form):
    name = forms.CharField(label=_("Carrier name"), max_length=80)
    tracking_pattern = forms.CharField(label=_("Tracking number pattern (optional)"), required=False, max_length=300,
                                       help_text=_("A regular expression, e.g. LX[0-9]{10}; empty accepts any number."))


class HandoffCsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
