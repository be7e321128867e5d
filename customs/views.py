"""Customs pages. The regime pin: the operator decides entries as the law stood on a chosen day (training, simulation)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts.models import Organization
from customs.models import PolicyLimit, PolicyRule
from customs.services import regime_pin_set


class RegimeForm(forms.Form):
    active = forms.BooleanField(label=gettext_lazy("Pin the regime"), required=False)
    as_of = forms.DateField(label=gettext_lazy("Decide as the law stood on"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Why (shown to operators)"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("active") and not data.get("as_of"):
            self.add_error("as_of", _("Choose the day whose law should apply."))
        return data


@access.require_kind(Organization.Kind.OPERATOR)
@require_http_methods(["GET", "POST"])
def regime(request):
    from customs.policy import snapshot

    current = snapshot().pinned
    form = RegimeForm(request.POST or None, initial={"active": current is not None, "as_of": current})
    if request.method == "POST":
        if not request.membership.is_admin:
            return render(request, "403.html", status=403)
        if form.is_valid():
            regime_pin_set(active=form.cleaned_data["active"], as_of=form.cleaned_data["as_of"], note=form.cleaned_data["note"],
                           user=request.user)
            messages.success(request, _("The customs regime was saved. New decisions follow it."))
            return redirect("customs:regime")
    return render(request, "customs/regime.html", {
        "form": form, "pinned": current,
        "rules": PolicyRule.objects.order_by("effective_from"), "limits": PolicyLimit.objects.order_by("name", "effective_from"),
    })
