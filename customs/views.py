"""Customs pages: the regime pin, and the broker's workbench.

The regime pin: the operator decides entries as the law stood on a chosen day (training, simulation).
The workbench: the review queue, bulk actions with progress, ACE rejections, holds, information
requests, entries and their ACE messages. Thin: parse, call customs/review.py, render.
"""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.models import Organization
from calista import clocks
from calista.params import id_or_none
from customs import review
from customs.models import AceCode, Hold, PolicyLimit, PolicyRule
from customs.policy import REASONS, reason_text
from customs.services import regime_pin_set
from shipments.models import CustomsStatus, EntryType


class RegimeForm(forms.Form):
    active = forms.BooleanField(label=gettext_lazy("Pin the regime"), required=False)
    as_of = forms.DateField(label=gettext_lazy("Decide as the law stood on"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Why (shown to operators)"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("active") and not data.get("as_of"):
            self.add_error("as_of", _("Choose the day whose law should apply."))
        return data


@access.require_kind(Organization.Kind.OPERATOR)
@require_http_methods(["GET", "POST"])
def regime(request):
    from customs.policy import snapshot

    current = snapshot().pinned
    form = RegimeForm(request.POST or None, initial={"active": current is not None, "as_of": current})
    if request.method == "POST":
        if not request.membership.is_admin:
            return render(request, "403.html", status=403)
        if form.is_valid():
            regime_pin_set(active=form.cleaned_data["active"], as_of=form.cleaned_data["as_of"], note=form.cleaned_data["note"],
                           user=request.user)
            messages.success(request, _("The customs regime was saved. New decisions follow it, and the parcels not yet with ACE "
                                        "are being decided again."))
            return redirect("customs:regime")
    return render(request, "customs/regime.html", {
        "form": form, "pinned": current,
        "rules": PolicyRule.objects.order_by("effective_from"), "limits": PolicyLimit.objects.order_by("name", "effective_from"),
    })


# --- The broker's workbench ------------------------------------------------------------------------
# Brokers read and act; operators (support) read every queue and message but cannot act (403 on
# POST); every other kind gets 403. Objects are looked up through accounts.access: another
# broker's client's shipment answers 404.

QUEUE_PAGE = 50
MAWB_PAGE = 25


def workbench_page(view):
    """Brokers read and write; operators only read; every other organization gets 403."""

    @wraps(view)
    @access.require_kind(Organization.Kind.BROKER, Organization.Kind.OPERATOR)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") and not request.org.is_broker:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _post(request):
    """request.POST, or a ReviewError when the form sent more fields or data than a form may."""
    try:
        return request.POST
    except (TooManyFieldsSent, RequestDataTooBig):
        raise review.ReviewError(_("The selection is too large: at most %(limit)s shipments can be selected at once.")
                                 % {"limit": review.SELECTION_LIMIT})


def _next(request, default: str) -> str:
    """Where to go back to: the page the form came from, if it is one of the portal's."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (target.startswith("/") and not target.startswith("//")
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())):
        return target
    return default


def _problem(request, error, back: str):
    """A clear error, nothing changed: the reason and the way back (400)."""
    return render(request, "customs/problem.html", {"error": str(getattr(error, "message", error)), "back": back}, status=400)


def _workbench(request, counts: dict | None = None, **extra) -> dict:
    context = {"counts": counts or review.workbench_counts(request.org), "can_act": request.org.is_broker}
    context.update(extra)
    return context


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("MAWB or HAWB"), required=False, max_length=40)
    airport = forms.ChoiceField(label=gettext_lazy("Airport"), required=False)
    arrival = forms.DateField(label=gettext_lazy("Arrival date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    entry_type = forms.ChoiceField(label=gettext_lazy("Entry type"), required=False)
    code = forms.ChoiceField(label=gettext_lazy("Reason code"), required=False)
    pga = forms.ChoiceField(label=gettext_lazy("PGA flag"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    FIELDS = ("q", "airport", "arrival", "entry_type", "code", "pga", "status")

    def __init__(self, data=None, **kwargs):
        if data is not None and not any(name in data for name in self.FIELDS):
            data = None  # a first visit: the queue proper, what waits for review
        super().__init__(data, initial={"status": CustomsStatus.RECEIVED}, **kwargs)
        anything = [("", _("any"))]
        self.fields["airport"].choices = anything + [(a, a) for a in settings.SERVED_AIRPORTS]
        self.fields["entry_type"].choices = anything + list(EntryType.choices)
        self.fields["code"].choices = anything + [(code, code) for code in REASONS]
        self.fields["pga"].choices = anything + [("any", _("any flag")), ("none", _("no flag"))] + [(a, a) for a in review.pga_agencies()]
        self.fields["status"].choices = anything + list(CustomsStatus.choices)

    def chosen(self) -> review.QueueFilter:
        if not self.is_bound:
            return review.QueueFilter()
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.FIELDS if name not in self.errors}
        # "any" status is chosen as ""; a form without the field (or with a wrong value) shows the queue proper
        status = (data.get("status") or "") if "status" in self.data and "status" in data else CustomsStatus.RECEIVED
        return review.QueueFilter(q=data.get("q") or "", airport=data.get("airport") or "", arrival=data.get("arrival"),
                                  entry_type=data.get("entry_type") or "", reason=data.get("code") or "", pga=data.get("pga") or "",
                                  status=status)

    def hidden(self) -> list[tuple[str, str]]:
        """The filter as (name, value) pairs, for forms that act on "everything matching"."""
        source = self.data if self.is_bound else {"status": CustomsStatus.RECEIVED}
        return [(name, source.get(name, "")) for name in self.FIELDS if source.get(name, "") != "" or name == "status"]


def _with_reasons(shipments):
    for s in shipments:
        s.reason_texts = [{"code": r, "text": reason_text(r)} for r in s.reasons]
    return shipments


@workbench_page
@require_GET
def queue(request):
    """MAWBs and shipments waiting for review, filtered; approve or reject one, a selection, a MAWB or everything matching."""
    seen_at = review.seen_at_now()  # before the shipments are read
    form = QueueFilterForm(request.GET)
    chosen = form.chosen()
    shipments = review.queue_shipments(org=request.org, chosen=chosen).select_related("forwarder")
    manifests = Paginator(review.queue_manifests(shipments), MAWB_PAGE).get_page(request.GET.get("mawbs"))
    counts = review.workbench_counts(request.org)
    paginator = Paginator(shipments.order_by("arrival_date", "mawb", "hawb"), QUEUE_PAGE)
    if chosen == review.QueueFilter():  # the queue unfiltered: the workbench has just counted it
        paginator.count = counts["review"]
    page = paginator.get_page(request.GET.get("page"))
    _with_reasons(page)
    return render(request, "customs/queue.html", _workbench(
        request, counts, form=form, chosen=chosen, manifests=manifests, page=page, hidden=form.hidden(),
        total=page.paginator.count, auto_file=request.org.auto_file, seen_at=seen_at,
    ))


@workbench_page
@require_POST
def queue_act(request):
    """Act on the shipments ticked (now), on a MAWB or on everything matching the filter (as a task with progress)."""
    try:
        data = _post(request)  # first: a form too large to read is refused before anything reads it
    except review.ReviewError as error:
        return _problem(request, error, reverse("customs:queue"))
    back = _next(request, reverse("customs:queue"))
    try:
        action, reason = data.get("action", ""), data.get("reason", "")
        seen_at = review.seen_at_parse(data.get("seen_at"))
        scope = request.GET.get("scope") or data.get("scope", "ids")  # the "all matching" buttons say so in their formaction
        if scope == "ids":
            ids = review.selection_resolve(org=request.org, shipment_ids=review.selection_parse(data.getlist("ids")))
            outcome = review.review_act(org=request.org, user=request.user, action=action, shipment_ids=ids, reason=reason,
                                        seen_at=seen_at)
            (messages.success if outcome.moved else messages.warning)(request, review.outcome_message(action, outcome))
            return redirect(back)
        shipments = review.queue_shipments(org=request.org, chosen=QueueFilterForm(data).chosen())
        if scope == "mawb":
            manifest = id_or_none(data.get("manifest"))
            if manifest is None or not access.manifests_for(request.org).filter(pk=manifest).exists():
                raise review.ReviewError(_("This MAWB is not in your queue; nothing was changed."))
            shipments = shipments.filter(manifest_id=manifest)
        elif scope != "filter":
            raise review.ReviewError(_("Unknown action."))
        ids = list(shipments.values_list("id", flat=True)[:review.BULK_LIMIT + 1])
        job = review.bulk_start(org=request.org, user=request.user, action=action, shipment_ids=ids, reason=reason,
                                seen_at=seen_at)
    except review.ReviewError as error:
        return _problem(request, error, back)
    return redirect(f"{reverse('customs:bulk', args=[job])}?{urlencode({'next': back})}")


@workbench_page
@require_POST
def entries_file(request):
    """The "File approved entries" button: build and transmit entries for every approved shipment not filed yet."""
    count = review.approved_unfiled(broker=request.org).count()
    if not count:
        messages.info(request, _("No approved shipment is waiting to be filed."))
    else:
        review.entries_file(broker=request.org)
        messages.success(request, ngettext("%(count)s approved shipment is being filed with ACE.",
                                           "%(count)s approved shipments are being filed with ACE.", count) % {"count": count})
    return redirect(_next(request, reverse("customs:queue")))


def _bulk_context(request, job: int) -> dict:
    state = review.bulk_state(org=request.org, job_id=job)
    if state is None:
        raise Http404
    labels = {"approve": _("Approving"), "reject": _("Rejecting"), "cancel": _("Cancelling")}
    return {"job": job, "state": state, "label": labels.get(state.get("action"), ""), "back": _next(request, reverse("customs:queue"))}


@workbench_page
@require_GET
def bulk(request, job):
    return render(request, "customs/bulk.html", _bulk_context(request, job))


@workbench_page
@require_GET
def bulk_progress(request, job):
    """The progress bar alone, polled by htmx; 286 tells htmx to stop polling once the job is done."""
    context = _bulk_context(request, job)
    return render(request, "customs/_bulk_progress.html", context, status=286 if context["state"]["finished"] else 200)


@workbench_page
@require_GET
def rejections(request):
    """Shipments ACE rejected, with the codes explained: correct them, then re-file (or cancel)."""
    shipments = access.shipments_for(request.org).filter(status=CustomsStatus.ACE_REJECTED).select_related("forwarder", "entry")
    page = Paginator(shipments.order_by("status_changed_at", "id"), QUEUE_PAGE).get_page(request.GET.get("page"))
    codes = review.ace_rejection_codes([s.pk for s in page])
    meaning = review.explained({s.pk: codes.get(s.pk, []) for s in page})
    for s in page:
        s.codes_explained = meaning[s.pk]
    _with_reasons(page)
    return render(request, "customs/rejections.html", _workbench(request, page=page))


@workbench_page
@require_POST
def refile(request):
    try:
        data = _post(request)
    except review.ReviewError as error:
        return _problem(request, error, reverse("customs:rejections"))
    back = _next(request, reverse("customs:rejections"))
    try:
        ids = review.selection_resolve(org=request.org, shipment_ids=review.selection_parse(data.getlist("ids")))
    except review.ReviewError as error:
        return _problem(request, error, back)
    outcome = review.shipments_refile(broker=request.org, user=request.user, shipment_ids=ids)
    text = ngettext("%(count)s shipment queued for re-filing.", "%(count)s shipments queued for re-filing.", len(outcome.moved)) % {
        "count": len(outcome.moved)}
    refused = len(outcome.refused)
    if refused:
        text += " " + ngettext("%(count)s could not be re-filed: %(reasons)s.", "%(count)s could not be re-filed: %(reasons)s.",
                               refused) % {"count": refused, "reasons": "; ".join(outcome.reasons()[:5])}
    (messages.success if outcome.moved else messages.warning)(request, text)
    return redirect(back)


def _next_steps(holds) -> dict:
    codes = {h.code for h in holds}
    table = {c.code: c for c in AceCode.objects.filter(code__in=codes, kind=AceCode.Kind.DISPOSITION)}
    language = translation.get_language() or "en"
    return {code: table[code].next_step(language) if code in table else "" for code in codes}


@workbench_page
@require_GET
def holds(request):
    """Open holds, oldest first, with the agency, the age and the next step; record actions and outcomes."""
    page = Paginator(review.holds_open_for(request.org).prefetch_related("actions__user"), 50).get_page(request.GET.get("page"))
    steps = _next_steps(page)
    now = timezone.now()
    for hold in page:
        hold.next_step = steps.get(hold.code, "")
        hold.age_days = (now - hold.placed_at).days
    return render(request, "customs/holds.html", _workbench(request, page=page, outcomes=[
        (Hold.Outcome.RELEASED, _("Released")), (Hold.Outcome.SEIZED, _("Seized / refused"))]))


def _hold_in_scope(request, pk) -> Hold:
    return access.get_scoped_or_404(Hold.objects.filter(shipment__in=access.shipments_for(request.org)), pk=pk)


@workbench_page
@require_POST
def hold_action(request, pk):
    hold = _hold_in_scope(request, pk)
    back = _next(request, reverse("customs:holds"))
    try:
        review.hold_action_record(hold_id=hold.pk, org=request.org, user=request.user, note=request.POST.get("note", ""))
    except review.ReviewError as error:
        return _problem(request, error, back)
    messages.success(request, _("The action was recorded."))
    return redirect(back)


@workbench_page
@require_POST
def hold_close(request, pk):
    hold = _hold_in_scope(request, pk)
    back = _next(request, reverse("customs:holds"))
    try:
        review.hold_close(hold_id=hold.pk, org=request.org, user=request.user, outcome=request.POST.get("outcome", ""),
                          note=request.POST.get("note", ""))
    except review.ReviewError as error:
        return _problem(request, error, back)
    messages.success(request, _("The hold was closed."))
    return redirect(back)


@workbench_page
@require_GET
def info_requests(request):
    """The broker's questions to forwarders: open first, then answered."""
    requests = review.info_requests_for(request.org).order_by("answered_at", "deadline", "-asked_at")
    page = Paginator(requests, 50).get_page(request.GET.get("page"))
    return render(request, "customs/info_requests.html", _workbench(request, page=page))


# --- One shipment: the panel on the shipment page, and the broker's actions on it -------------------


def _shipment_in_scope(request, pk):
    return access.get_scoped_or_404(access.shipments_for(request.org).select_related("manifest", "forwarder", "entry"), pk=pk)


@workbench_page
@require_GET
def shipment_panel(request, pk):
    """The shipment page's customs block: entry and ACE messages (raw and explained), and the broker's actions."""
    try:  # the shipment page says when it read the shipment; the panel's actions act on what that page shows
        seen_at = review.seen_at_parse(request.GET.get("seen_at")) or timezone.now()
    except review.ReviewError:
        seen_at = timezone.now()
    shipment = _shipment_in_scope(request, pk)
    codes = review.ace_rejection_codes([shipment.pk]).get(shipment.pk, [])
    entries = review.entries_for(request.org).filter(pk__in=review.entries_of(shipment)).order_by("created_at", "id")
    open_holds = list(shipment.holds.filter(removed_at__isnull=True))
    steps = _next_steps(open_holds)
    for hold in open_holds:
        hold.next_step = steps.get(hold.code, "")
    S, status = CustomsStatus, shipment.status
    queued = status == S.APPROVED and shipment.entry_id is not None
    return render(request, "customs/_shipment_panel.html", {
        "shipment": shipment, "can_act": request.org.is_broker,
        "ace_messages": review.ace_messages_for_shipment(shipment), "entries": entries,
        "rejection": review.explained({"codes": codes})["codes"] if status == S.ACE_REJECTED else [],
        "can_review": status == S.RECEIVED,
        "can_correct": status in review.BROKER_CORRECTS and not queued,
        "can_refile": status == S.ACE_REJECTED,
        "can_cancel": status in (S.RECEIVED, S.REJECTED, S.APPROVED, S.ACE_REJECTED, S.ACCEPTED) and not queued,
        "can_ask": status not in review.CLOSED,
        "fields": review.correction_choices(org=request.org, shipment=shipment),
        "requests": shipment.info_requests.select_related("asked_by", "answered_by").order_by("-asked_at"),
        "holds": open_holds, "today": clocks.airport_today(shipment.destination_airport),  # a deadline is a day at the airport
        "next": reverse("shipments:shipment_detail", args=[shipment.pk]),
        "seen_at": seen_at.isoformat(),
    })


@workbench_page
@require_POST
def shipment_decide(request, pk):
    """Approve, reject (with a reason) or cancel (with a reason) one shipment."""
    shipment = _shipment_in_scope(request, pk)
    back = _next(request, reverse("shipments:shipment_detail", args=[shipment.pk]))
    action = request.POST.get("action", "")
    try:
        outcome = review.review_act(org=request.org, user=request.user, action=action, shipment_ids=[shipment.pk],
                                    reason=request.POST.get("reason", ""), seen_at=review.seen_at_parse(request.POST.get("seen_at")))
    except review.ReviewError as error:
        return _problem(request, error, back)
    if not outcome.moved:
        return _problem(request, outcome.refused.get(shipment.pk, ""), back)
    messages.success(request, review.outcome_message(action, outcome))
    return redirect(back)


@workbench_page
@require_POST
def shipment_correct(request, pk):
    shipment = _shipment_in_scope(request, pk)
    back = _next(request, reverse("shipments:shipment_detail", args=[shipment.pk]))
    try:
        change = review.shipment_correct(shipment_id=shipment.pk, org=request.org, user=request.user,
                                         field=request.POST.get("field", ""), value=request.POST.get("value", ""))
    except review.ReviewError as error:
        return _problem(request, error, back)
    messages.success(request, _("Corrected: %(old)s → %(new)s. The entry decision was made again.") % change)
    return redirect(back)


@workbench_page
@require_POST
def shipment_refile(request, pk):
    shipment = _shipment_in_scope(request, pk)
    back = _next(request, reverse("shipments:shipment_detail", args=[shipment.pk]))
    outcome = review.shipments_refile(broker=request.org, user=request.user, shipment_ids=[shipment.pk])
    if not outcome.moved:
        return _problem(request, outcome.refused.get(shipment.pk, ""), back)
    messages.success(request, _("Queued for re-filing with ACE."))
    return redirect(back)


class InfoRequestForm(forms.Form):
    question = forms.CharField(label=gettext_lazy("Question"), max_length=review.TEXT_LIMIT, required=False)
    deadline = forms.DateField(label=gettext_lazy("Answer by"), required=False)


@workbench_page
@require_POST
def info_request_ask(request, pk):
    shipment = _shipment_in_scope(request, pk)
    back = _next(request, reverse("shipments:shipment_detail", args=[shipment.pk]))
    form = InfoRequestForm(request.POST)
    try:
        if not form.is_valid():
            raise review.ReviewError(" ".join(e for errors in form.errors.values() for e in errors))
        review.info_request_ask(broker=request.org, user=request.user, shipment_id=shipment.pk,
                                question=form.cleaned_data["question"], deadline=form.cleaned_data["deadline"])
    except review.ReviewError as error:
        return _problem(request, error, back)
    messages.success(request, _("The forwarder was asked; you will be told when they answer."))
    return redirect(back)


@workbench_page
@require_GET
def entry_detail(request, pk):
    """An entry: its shipments, its transmissions, and every ACE message in and out, raw and explained."""
    entry = access.get_scoped_or_404(review.entries_for(request.org), pk=pk)
    totals = review.entry_totals(entry)
    return render(request, "customs/entry_detail.html", {
        "entry": entry, "shipments": entry.shipments.order_by("hawb")[:200], "shipment_count": totals["count"], "totals": totals,
        "transmissions": entry.transmissions.order_by("attempt"),
        "ace_messages": review.messages_explained(list(entry.messages.order_by("at", "id"))),
    })
