from django.utils import timezone

from accounts.access import membership_for
from accounts.services import membership_language_remember


class OrganizationMiddleware:
    """Resolves the user's organization once per request: `request.membership` and `request.org`; and remembers the
    language the member reads the portal in (LocaleMiddleware chose it), for the e-mails sent them later."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = membership_for(request.user)
        request.org = request.membership.organization if request.membership else None
        if request.membership is not None:
            membership_language_remember(membership=request.membership, language=getattr(request, "LANGUAGE_CODE", ""))
        return self.get_response(request)


class TimeZoneMiddleware:
    """Shows times on the clock of the user's organization (Organization.zone): a station's airport's, or the zone the
    organization chose, else the portal's TIME_ZONE. Only how moments are shown: the days that belong to an airport
    are read on its clock whoever looks (calista/clocks.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        org = getattr(request, "org", None)
        if org is None:
            timezone.deactivate()
            return self.get_response(request)
        with timezone.override(org.zone):  # put back afterwards: the thread serves other users next
            return self.get_response(request)
