from accounts.navigation import navigation_for


def organization(request):
    org = getattr(request, "org", None)
    return {
        "org": org,
        "membership": getattr(request, "membership", None),
        "nav": navigation_for(request) if org is not None else [],
    }
