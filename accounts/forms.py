from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import login_failure_record, login_locked_until, login_success_record


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form, refusing an account that failed too often (even with the right password)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed logins. This account is locked; try again in %(minutes)s minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        locked_until = login_locked_until(username=username)
        if locked_until:
            minutes = max(1, int((locked_until - timezone.now()).total_seconds() // 60) + 1)
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failure_record(username=username)
            raise
        login_success_record(username=username)
        return cleaned
