from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Membership, Notification


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


@require_GET
def notifications(request):
    """The user's notifications, newest first; opening the page marks the ones shown as read."""
    page = Paginator(Notification.objects.filter(user=request.user), 50).get_page(request.GET.get("page"))
    unread = [n.pk for n in page if n.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread, user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "accounts/notifications.html", {"page": page, "unread": set(unread)})
