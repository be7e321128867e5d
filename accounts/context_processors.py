from accounts.models import Notification
from accounts.navigation import navigation_for


def organization(request):
    org = getattr(request, "org", None)
    user = getattr(request, "user", None)
    return {
        "org": org,
        "membership": getattr(request, "membership", None),
        "nav": navigation_for(request) if org is not None else [],
        "unread_notifications": _unread(user),
    }


def _unread(user):
    """The bell's count, read only when a template shows it (one indexed count)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
