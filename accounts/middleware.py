from accounts.access import membership_for


class OrganizationMiddleware:
    """Resolves the user's organization once per request: `request.membership` and `request.org`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = membership_for(request.user)
        request.org = request.membership.organization if request.membership else None
        return self.get_response(request)
