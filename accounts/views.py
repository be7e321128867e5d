from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Membership


class NotificationForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["email_notifications"]


def profile(request):
    """The user's own page: organization, role and notification choice."""
    form = None
    if request.membership is not None:
        form = NotificationForm(request.POST or None, instance=request.membership)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, _("Your settings were saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
