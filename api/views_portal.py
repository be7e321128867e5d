"""The portal's pages for an organization's administrator: API keys and webhooks (endpoints, deliveries, redelivery).

Thin: parse (api/forms.py), call api/keys.py or api/webhooks.py, render. Members of the
organization get 403; another organization's key, endpoint or delivery answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import require_org_admin
from api import keys as api_keys
from api import webhooks
from api.forms import ApiKeyForm, WebhookEndpointForm
from api.models import WebhookDelivery

DELIVERIES_PER_PAGE = 50


@require_org_admin
@require_http_methods(["GET", "POST"])
def keys(request):
    """The organization's keys; a new one is shown once, on the page that made it."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = api_keys.api_key_create(organization=request.org, name=form.cleaned_data["name"],
                                               read_only=form.cleaned_data["read_only"], user=request.user)
        except api_keys.ApiKeyError as error:
            form.add_error("name", error.message)
        else:
            response = render(request, "api/key_created.html", {"key": key, "raw": raw}, status=201)
            response["Cache-Control"] = "no-store"  # the key is shown once: never from a cache
            return response
    return render(request, "api/keys.html", {
        "form": form, "keys": api_keys.keys_for(request.org).select_related("created_by", "revoked_by"),
    }, status=400 if request.method == "POST" else 200)


@require_org_admin
@require_POST
def key_revoke(request, pk):
    try:
        key = api_keys.api_key_revoke(organization=request.org, key_id=pk, user=request.user)
    except api_keys.ApiKeyError:
        raise Http404
    messages.success(request, _("The key “%(name)s” was revoked: calls made with it are refused from now on.") % {"name": key.name})
    return redirect("api:keys")


@require_org_admin
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    """The organization's endpoints; register another."""
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.webhook_endpoint_create(organization=request.org, user=request.user, **form.cleaned_data)
        except webhooks.WebhookError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Endpoint added. Check deliveries with the signing secret shown below."))
            return redirect("api:webhook_detail", endpoint.pk)
    return render(request, "api/webhooks.html", {
        "form": form, "endpoints": webhooks.endpoints_for(request.org), "event_types": webhooks.EVENT_TYPES,
    }, status=400 if request.method == "POST" else 200)


def _endpoint_or_404(request, pk):
    endpoint = webhooks.endpoints_for(request.org).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


@require_org_admin
@require_http_methods(["GET", "POST"])
def webhook_detail(request, pk):
    """One endpoint: its secret and events (editable), and its deliveries with the answers they got."""
    endpoint = _endpoint_or_404(request, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.webhook_endpoint_update(organization=request.org, endpoint_id=endpoint.pk, **form.cleaned_data)
        except webhooks.WebhookError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("api:webhook_detail", endpoint.pk)
    deliveries = endpoint.deliveries.order_by("-created_at", "-id")
    state = request.GET.get("state", "")
    if state in WebhookDelivery.State.values:
        deliveries = deliveries.filter(state=state)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "api/webhook_detail.html", {
        "endpoint": endpoint, "form": form, "page": page, "state": state, "states": WebhookDelivery.State.choices,
        "event_types": webhooks.EVENT_TYPES,
    }, status=400 if request.method == "POST" else 200)


@require_org_admin
@require_POST
def webhook_enable(request, pk):
    endpoint = _endpoint_or_404(request, pk)
    webhooks.webhook_endpoint_enable(organization=request.org, endpoint_id=endpoint.pk)
    messages.success(request, _("The endpoint is enabled again; pending deliveries are being sent."))
    return redirect("api:webhook_detail", endpoint.pk)


@require_org_admin
@require_POST
def webhook_secret(request, pk):
    endpoint = _endpoint_or_404(request, pk)
    webhooks.webhook_secret_roll(organization=request.org, endpoint_id=endpoint.pk)
    messages.success(request, _("A new signing secret was made: update your receiver. Deliveries from now on are signed with it."))
    return redirect("api:webhook_detail", endpoint.pk)


@require_org_admin
@require_POST
def webhook_delete(request, pk):
    endpoint = _endpoint_or_404(request, pk)
    webhooks.webhook_endpoint_delete(organization=request.org, endpoint_id=endpoint.pk)
    messages.success(request, _("The endpoint %(url)s was removed.") % {"url": endpoint.url})
    return redirect("api:webhooks")


def _delivery_or_404(request, pk) -> WebhookDelivery:
    delivery = webhooks.deliveries_for(request.org).select_related("endpoint").filter(pk=pk).first()
    if delivery is None:
        raise Http404
    return delivery


@require_org_admin
@require_GET
def delivery_detail(request, pk):
    """One delivery: what was sent, and every attempt with the status code and the start of the answer."""
    delivery = _delivery_or_404(request, pk)
    return render(request, "api/delivery_detail.html", {
        "delivery": delivery, "endpoint": delivery.endpoint, "tries": delivery.tries.order_by("number", "id"),
        "payload": webhooks.body_bytes(delivery.payload).decode(),
    })


@require_org_admin
@require_POST
def delivery_redeliver(request, pk):
    delivery = _delivery_or_404(request, pk)
    try:
        webhooks.delivery_redeliver(organization=request.org, delivery_id=delivery.pk)
    except webhooks.WebhookError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Sent again; the result appears below in a moment."))
    return redirect("api:delivery_detail", delivery.pk)
