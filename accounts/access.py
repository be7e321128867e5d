"""Who may see what: the only module that scopes querysets to a tenant.

Every view, task acting for a user, API endpoint and board starts its query
here. An object outside the scope is simply not in the queryset, so looking
it up answers 404, exactly like an object that does not exist.

The rules, by the kind of the user's organization:
- forwarder: its own uploads, manifests and shipments;
- broker: the manifests and shipments of forwarders that chose it;
- cfs: manifests and shipments arriving at its airport and assigned to it, and its own hand-off files;
- operator (support agents and platform admins): everything, read-only for support.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Membership, Organization


def membership_for(user) -> Membership | None:
    """The user's membership with its organization, in one query (None for anonymous or orgless users)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Membership.objects.select_related("organization").get(user=user)
    except Membership.DoesNotExist:
        return None


def _by_kind(org: Organization | None, qs: QuerySet, *, forwarder: str | None, broker: str | None, cfs: str | None) -> QuerySet:
    if org is None:
        return qs.none()
    if org.kind == Organization.Kind.OPERATOR:
        return qs
    field = {
        Organization.Kind.FORWARDER: forwarder,
        Organization.Kind.BROKER: broker,
        Organization.Kind.CFS: cfs,
    }.get(org.kind)
    if field is None:
        return qs.none()
    return qs.filter(**{field: org})


def uploads_for(org: Organization | None) -> QuerySet:
    from shipments.models import Upload

    return _by_kind(org, Upload.objects.all(), forwarder="forwarder", broker=None, cfs=None)


def manifests_for(org: Organization | None) -> QuerySet:
    from shipments.models import Manifest

    return _by_kind(org, Manifest.objects.all(), forwarder="forwarder", broker="broker", cfs="cfs")


def shipments_for(org: Organization | None) -> QuerySet:
    from shipments.models import Shipment

    return _by_kind(org, Shipment.objects.all(), forwarder="forwarder", broker="broker", cfs="cfs")


def events_for(org: Organization | None) -> QuerySet:
    from shipments.models import ShipmentEvent

    return _by_kind(
        org, ShipmentEvent.objects.all(),
        forwarder="shipment__forwarder", broker="shipment__broker", cfs="shipment__cfs",
    )


def handoff_batches_for(org: Organization | None) -> QuerySet:
    """Hand-off files a station sent to be worked in the background: its own, and (for operators) every station's."""
    from cfs.models import HandoffBatch

    return _by_kind(org, HandoffBatch.objects.all(), forwarder=None, broker=None, cfs="cfs")


def organizations_visible_to(org: Organization | None) -> QuerySet:
    """Organizations a user may name: their own, and (for operators) all."""
    if org is None:
        return Organization.objects.none()
    if org.is_operator:
        return Organization.objects.all()
    return Organization.objects.filter(pk=org.pk)


def get_scoped_or_404(queryset: QuerySet, **lookup):
    return get_object_or_404(queryset, **lookup)


def require_kind(*kinds: str):
    """View decorator: only members of organizations of these kinds.

    Others get 403 on a page, and 404 on a page about an object (the URL names one): for them
    the object does not exist, exactly as another tenant's object does not.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            org = getattr(request, "org", None)
            if org is None or org.kind not in kinds:
                if kwargs:
                    raise Http404
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def require_org_admin(view):
    """View decorator: only administrators of their organization."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = getattr(request, "membership", None)
        if membership is None or not membership.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
