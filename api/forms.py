"""The forms of the portal's API pages: parsing only; api/keys.py and api/webhooks.py decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from api.webhooks import EVENT_TYPES


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Which system uses the key, e.g. “Warehouse system”."))
    read_only = forms.BooleanField(label=_("Read only (it cannot upload or change anything)"), required=False)


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500, help_text=_("Where your system receives the events (https://…)."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("Events"), choices=list(EVENT_TYPES.items()), widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": _("Choose at least one event.")})
