from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Membership, Notification, Organization
from calista import clocks


class NotificationForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["email_notifications"]


class TimeZoneForm(forms.ModelForm):
    """The organization's time zone, chosen from the zones the time zone data knows."""

    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone of the organization"), required=False)

    class Meta:
        model = Organization
        fields = ["time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        portal = _("The portal's (%(zone)s)") % {"zone": timezone.get_default_timezone_name()}
        self.fields["time_zone"].choices = [("", portal), *((name, name) for name in sorted(clocks.zone_names()))]
        self.fields["time_zone"].help_text = _("Every member reads times in it.")


def _time_zone_form(request, data=None) -> TimeZoneForm | None:
    """An organization's administrator chooses its zone; a station keeps its airport's, so it has no such form."""
    membership = request.membership
    if membership is None or not membership.is_admin or request.org.is_cfs:
        return None
    return TimeZoneForm(data, instance=request.org)


def profile(request):
    """The user's own page: organization, role and notification choice (and, for an administrator, the time zone)."""
    form = None
    if request.membership is not None:
        form = NotificationForm(request.POST or None, instance=request.membership)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, _("Your settings were saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "time_zone_form": _time_zone_form(request)})


@require_POST
def organization_time_zone(request):
    form = _time_zone_form(request, request.POST)
    if form is None:
        raise PermissionDenied
    if form.is_valid():
        form.save()
        messages.success(request, _("Times are now shown in %(zone)s.") % {"zone": request.org.zone})
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": NotificationForm(instance=request.membership), "time_zone_form": form},
                  status=400)


@require_GET
def notifications(request):
    """The user's notifications, newest first; opening the page marks the ones shown as read."""
    page = Paginator(Notification.objects.filter(user=request.user), 50).get_page(request.GET.get("page"))
    unread = [n.pk for n in page if n.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread, user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "accounts/notifications.html", {"page": page, "unread": set(unread)})
