"""The REST API, version 1. Thin: parse (api/serializers.py), call the services, respond.

Every call is made by an API key for its organization (`self.org`); every query starts from
accounts.access with that organization, so another tenant's object answers 404 as a missing
one does, and ids of other tenants' objects in a request body are field-level errors. A
read-only key gets 403 on every write; an organization of the wrong kind (a forwarder
approving, a broker uploading) gets 403 too.
"""

from __future__ import annotations

import re
from pathlib import Path

import drf_spectacular_sidecar
from django.apps import apps
from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts import access
from accounts.models import Organization
from api import serializers as s
from api.authentication import ApiKeyAuthentication, HasApiKey
from api.errors import ApiError, api_exception_handler
from api.throttles import ApiKeyRateThrottle
from api.uploads import UploadProblem, idempotency_key_check, manifest_upload, manifest_upload_rows, upload_report
from cfs.queues import carriers_for
from cfs.services import CfsError, manifest_arrival_record, manifest_breakdown, manifests_collect_record, shipments_hand_off_select
from customs import review
from shipments import lifecycle
from shipments.ingest.codes import ROW_CODES, message_for
from shipments.progress import progress_get

K = Organization.Kind
READS_UPLOADS = (K.FORWARDER, K.OPERATOR)  # uploads are the forwarder's (the operator reads everything); others get 403
MAX_ID = 2**63 - 1  # the largest id a database column holds: a larger one names nothing (404, not an overflow)


# --- Common ground ------------------------------------------------------------------------------


class IdCursorPagination(CursorPagination):
    """Stable pages however the data changes meanwhile: ?cursor= from `next`, ?page_size= up to 500."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        position = getattr(cursor, "position", None)
        if cursor is False or (position is not None and not (position.isascii() and position.isdigit() and int(position) <= MAX_ID)):
            raise ApiError(400, "invalid", _("This cursor is not one the API gave: use the `next` link as it is."), "cursor")
        return cursor


class NewestFirstPagination(IdCursorPagination):
    ordering = "-id"


ERRORS = {code: OpenApiResponse(s.ErrorsSerializer, description=text) for code, text in (
    (400, "Bad input: field-level errors."),
    (401, "No key, or an unknown or revoked one."),
    (403, "A read-only key writing, or an organization of the wrong kind."),
    (404, "No such object (or another organization's)."),
    (406, "Only JSON is answered."),
    (413, "The request body is too large."),
    (415, "Send JSON (application/json)."),
    (429, "Too many requests for this key: wait Retry-After seconds."),
)}


def documented(**kwargs):
    """extend_schema for a view method, on drf-spectacular's AutoSchema (whatever DRF's DEFAULT_SCHEMA_CLASS says)."""

    def decorator(method):
        method.schema = AutoSchema
        return extend_schema(**kwargs)(method)

    return decorator


def answers(ok: dict, *, body: bool = False) -> dict:
    """The responses of an operation: its own, plus the errors every call can get (and every call with a body)."""
    responses = dict(ok)
    for code in (400, 401, 403, 404, 406, 429, *((413, 415) if body else ())):
        responses.setdefault(code, ERRORS[code])
    return responses


class JsonOnly(DefaultContentNegotiation):
    """`?format=` names a format the API does not speak: 406 in the API's error shape (DRF answers 404, as if the
    endpoint did not exist)."""

    def filter_renderers(self, renderers, format):
        kept = [renderer for renderer in renderers if renderer.format == format]
        if not kept:
            raise ApiError(406, "not_acceptable", _("The API answers in JSON only: leave out format, or send format=json."),
                           "format")
        return kept


class ApiView(GenericAPIView):
    content_negotiation_class = JsonOnly
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    pagination_class = None
    metadata_class = None  # no OPTIONS introspection: the schema says it all
    schema = AutoSchema()

    def get_exception_handler(self):
        return api_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticates: request.auth is the key
        self._acting = lifecycle.acting_key_set(request.auth)  # events written now name the key (shipments/lifecycle.py)

    def finalize_response(self, request, response, *args, **kwargs):
        if (token := self.__dict__.pop("_acting", None)) is not None:
            lifecycle.acting_key_reset(token)
        return super().finalize_response(request, response, *args, **kwargs)

    @property
    def org(self) -> Organization:
        return self.request.auth.organization

    def require_kind(self, *kinds: str) -> None:
        """Other kinds of organization get 403, or 404 on a URL that names an object (as in the browser)."""
        if self.org.kind not in kinds:
            if self.kwargs:
                raise ApiError(404, "not_found", _("Not found."))
            names = ", ".join(str(K(kind).label) for kind in kinds)
            raise ApiError(403, "wrong_organization_kind", _("Only these organizations may do this: %(kinds)s.") % {"kinds": names})

    def parse(self, serializer_class, data):
        serializer = serializer_class(data=data, context={"request": self.request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def query(self, serializer_class) -> dict:
        params = self.request.query_params.dict()
        params.pop("format", None)  # DRF's own (?format=json)
        return self.parse(serializer_class, params)

    def body(self, serializer_class) -> dict:
        return self.parse(serializer_class, self.request.data)

    def page(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True, context={"request": self.request}).data)


def scoped(queryset, pk: int):
    """The object with this id in the organization's scope (accounts.access), or 404."""
    if pk > MAX_ID:
        raise NotFound(_("Not found."))
    return access.get_scoped_or_404(queryset, pk=pk)


def _mawb_number(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def _scoped_ids(queryset, ids: list[int], field: str) -> None:
    """Every id must name an object the organization may see; the others are field-level errors (nothing is done)."""
    found = set()
    for start in range(0, len(ids), 1000):
        found.update(queryset.filter(pk__in=ids[start:start + 1000]).values_list("pk", flat=True))
    missing = [{"code": "not_found", "field": field.format(index=i), "message": _("No such object.")}
               for i, pk in enumerate(ids) if pk not in found]
    if missing:
        raise ApiError(400, "not_found", missing[0]["message"], errors=missing)


def _refused(outcome) -> list[dict]:
    return [{"shipment": pk, "reason": str(reason)} for pk, reason in sorted(outcome.refused.items())]


# --- Manifests (uploads) ---------------------------------------------------------------------------

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER,
    description="Any unique string (a UUID): a retry with the same key and the same file answers with the first upload, never "
                "stores it twice. Kept for 24 hours.")


class ManifestListView(ApiView):
    parser_classes = [MultiPartParser, JSONParser]
    pagination_class = NewestFirstPagination

    @documented(operation_id="manifests_list", summary="Uploads of your organization, newest first (forwarders)",
                parameters=[s.ManifestFilterSerializer], responses=answers({200: s.ManifestSerializer(many=True)}))
    def get(self, request):
        self.require_kind(*READS_UPLOADS)
        filters = self.query(s.ManifestFilterSerializer)
        uploads = access.uploads_for(self.org)
        if "state" in filters:
            uploads = uploads.filter(state=filters["state"])
        return self.page(uploads, s.ManifestSerializer)

    @documented(
        operation_id="manifests_create", summary="Upload a manifest (forwarders)",
        description="A CSV or Excel file as multipart field `file` (with `encoding` for CSV if it is not UTF-8 or GB18030), or the "
                    "same rows as JSON. Answers 202 when the ingest is queued (poll `url`), 201 when it has already finished.",
        parameters=[IDEMPOTENCY],
        request={"multipart/form-data": s.ManifestFileSerializer, "application/json": s.ManifestRowsSerializer},
        responses=answers({201: s.ManifestDetailSerializer, 202: s.ManifestDetailSerializer,
                           409: OpenApiResponse(s.ErrorsSerializer, description="The same Idempotency-Key is still being processed."),
                           413: OpenApiResponse(s.ErrorsSerializer, description="F_TOO_LARGE: over the size or row limit."),
                           415: OpenApiResponse(s.ErrorsSerializer, description="Not multipart/form-data or JSON."),
                           422: OpenApiResponse(s.ErrorsSerializer, description="The Idempotency-Key was used for another file.")}),
    )
    def post(self, request):
        self.require_kind(K.FORWARDER)
        try:
            key = idempotency_key_check(request.headers.get("Idempotency-Key"))
            if request.content_type.startswith("multipart/"):
                uploaded = self._file(request, key)
            else:
                uploaded = self._rows(request, key)
        except UploadProblem as problem:
            raise ApiError(problem.status, problem.code, problem.message, problem.field, errors=problem.errors)
        upload = uploaded.upload
        data = s.ManifestDetailSerializer(upload, context={"request": request, "progress": progress_get("upload", upload.pk)}).data
        headers = {"Location": str(data["url"])}  # a plain str: WSGI servers refuse str subclasses in headers
        if uploaded.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(data, status=status.HTTP_201_CREATED if upload.is_finished else status.HTTP_202_ACCEPTED, headers=headers)

    def _file(self, request, key):
        data = request.data  # parsed first: the size limit is applied while the file streams in
        if getattr(request, "upload_too_large", False):
            limit = f"{settings.MANIFEST_MAX_BYTES / 1048576:.0f} MiB"
            raise UploadProblem(413, "F_TOO_LARGE", message_for("F_TOO_LARGE", limit=limit), "file")
        valid = self.parse(s.ManifestFileSerializer, data)
        file = valid["file"]
        return manifest_upload(organization=self.org, file=file, name=file.name or "manifest.csv", encoding=valid.get("encoding", ""),
                               idempotency_key=key)

    def _rows(self, request, key):
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isascii() and length.isdigit() and int(length) > settings.MANIFEST_MAX_BYTES:
            limit = f"{settings.MANIFEST_MAX_BYTES / 1048576:.0f} MiB"
            raise UploadProblem(413, "F_TOO_LARGE", message_for("F_TOO_LARGE", limit=limit), None)
        body = request.data
        if not isinstance(body, dict):
            raise UploadProblem(400, "invalid", _("Send a JSON object: {\"rows\": [...], \"name\": \"...\"}."), None)
        errors = [{"code": "unknown_field", "field": name, "message": _("Unknown field.")} for name in sorted(set(body) - {"rows", "name"})]
        if "rows" not in body:
            errors.append({"code": "required", "field": "rows", "message": _("This field is required.")})
        name = body.get("name", "")
        if not isinstance(name, str) or len(name) > 200:
            errors.append({"code": "invalid", "field": "name", "message": _("A name is text of at most 200 characters.")})
        if errors:
            raise UploadProblem(400, errors[0]["code"], errors[0]["message"], errors[0]["field"], errors=errors)
        return manifest_upload_rows(organization=self.org, rows=body["rows"], name=name, idempotency_key=key)


class ManifestDetailView(ApiView):
    @documented(operation_id="manifests_retrieve", summary="An upload: its state, progress and counts",
                responses=answers({200: s.ManifestDetailSerializer}))
    def get(self, request, pk):
        self.require_kind(*READS_UPLOADS)
        upload = scoped(access.uploads_for(self.org), pk)
        progress = {} if upload.is_finished else progress_get("upload", upload.pk)
        return Response(s.ManifestDetailSerializer(upload, context={"request": request, "progress": progress}).data)


class ManifestReportView(ApiView):
    @documented(
        operation_id="manifests_report", summary="The report of a finished upload (manifest-csv.md §8)",
        parameters=[s.ReportQuerySerializer],
        responses=answers({200: s.ReportSerializer,
                           409: OpenApiResponse(s.ErrorsSerializer, description="Not finished yet, or failed unexpectedly.")}))
    def get(self, request, pk):
        self.require_kind(*READS_UPLOADS)
        query = self.query(s.ReportQuerySerializer)
        upload = scoped(access.uploads_for(self.org), pk)
        if not upload.is_finished:
            raise ApiError(409, "not_finished", _("The upload is still being read: poll its url until state is done or failed."))
        if upload.state == upload.State.CRASHED:
            raise ApiError(409, "no_report", _("The upload could not be read because of an error on our side; nothing was stored. "
                                               "Upload it again."))
        return Response(upload_report(upload, rows=query["rows"]))


# --- MAWBs -----------------------------------------------------------------------------------------

class MawbListView(ApiView):
    pagination_class = IdCursorPagination

    @documented(operation_id="mawbs_list", summary="MAWBs (master air waybills) you may see",
                parameters=[s.MawbFilterSerializer], responses=answers({200: s.MawbSerializer(many=True)}))
    def get(self, request):
        filters = self.query(s.MawbFilterSerializer)
        mawbs = access.manifests_for(self.org)
        if "custody" in filters:
            mawbs = mawbs.filter(custody=filters["custody"])
        if "mawb" in filters:
            mawbs = mawbs.filter(mawb=_mawb_number(filters["mawb"]))
        if "arrival_from" in filters:
            mawbs = mawbs.filter(arrival_date__gte=filters["arrival_from"])
        if "arrival_to" in filters:
            mawbs = mawbs.filter(arrival_date__lte=filters["arrival_to"])
        return self.page(mawbs, s.MawbSerializer)


class MawbDetailView(ApiView):
    @documented(operation_id="mawbs_retrieve", summary="A MAWB", responses=answers({200: s.MawbSerializer}))
    def get(self, request, pk):
        mawb = scoped(access.manifests_for(self.org), pk)
        return Response(s.MawbSerializer(mawb, context={"request": request}).data)


# --- Shipments -------------------------------------------------------------------------------------

class ShipmentListView(ApiView):
    pagination_class = IdCursorPagination

    @documented(operation_id="shipments_list", summary="Shipments (HAWBs) you may see, filtered",
                parameters=[s.ShipmentFilterSerializer], responses=answers({200: s.ShipmentSerializer(many=True)}))
    def get(self, request):
        filters = self.query(s.ShipmentFilterSerializer)
        shipments = access.shipments_for(self.org)
        for name in ("status", "custody", "entry_type"):
            if name in filters:
                shipments = shipments.filter(**{name: filters[name]})
        if "mawb" in filters:
            shipments = shipments.filter(mawb=_mawb_number(filters["mawb"]))
        if "hawb" in filters:
            shipments = shipments.filter(hawb=filters["hawb"].strip().upper())
        if "mawb_id" in filters:
            shipments = shipments.filter(manifest_id=filters["mawb_id"])
        if "manifest" in filters:
            shipments = shipments.filter(upload_id=filters["manifest"])
        if "arrival_from" in filters:
            shipments = shipments.filter(arrival_date__gte=filters["arrival_from"])
        if "arrival_to" in filters:
            shipments = shipments.filter(arrival_date__lte=filters["arrival_to"])
        return self.page(shipments, s.ShipmentSerializer)


class ShipmentDetailView(ApiView):
    @documented(operation_id="shipments_retrieve", summary="A shipment with its timeline",
                responses=answers({200: s.ShipmentDetailSerializer}))
    def get(self, request, pk):
        shipment = scoped(access.shipments_for(self.org), pk)
        return Response(s.ShipmentDetailSerializer(shipment, context={"request": request}).data)


# --- Broker: approve, reject, correct -------------------------------------------------------------------


class ApproveView(ApiView):
    @documented(operation_id="shipments_approve", summary="Approve shipments (brokers)",
                request=s.ApproveSerializer, responses=answers({200: s.OutcomeSerializer}, body=True))
    def post(self, request):
        self.require_kind(K.BROKER)
        ids = self.body(s.ApproveSerializer)["shipments"]
        _scoped_ids(access.shipments_for(self.org), ids, "shipments[{index}]")
        outcome = review.review_approve(broker=self.org, user=None, shipment_ids=sorted(set(ids)))
        return Response({"moved": sorted(outcome.moved), "refused": _refused(outcome)})


class RejectView(ApiView):
    @documented(operation_id="shipments_reject", summary="Reject shipments with a reason (brokers)",
                request=s.RejectSerializer, responses=answers({200: s.OutcomeSerializer}, body=True))
    def post(self, request):
        self.require_kind(K.BROKER)
        data = self.body(s.RejectSerializer)
        _scoped_ids(access.shipments_for(self.org), data["shipments"], "shipments[{index}]")
        try:
            outcome = review.review_reject(broker=self.org, user=None, shipment_ids=sorted(set(data["shipments"])), reason=data["reason"])
        except review.ReviewError as error:
            raise ApiError(400, "invalid", error.message, "reason")
        return Response({"moved": sorted(outcome.moved), "refused": _refused(outcome)})


def _codes_in(message: str) -> list[str]:
    """The manifest codes whose message a correction's refusal carries (the checks' own words, in this language)."""
    return [code for code in ROW_CODES if message_for(code) in message]


class CorrectView(ApiView):
    @documented(operation_id="shipments_correct", summary="Correct one field of a shipment (brokers; forwarders before approval)",
                request=s.CorrectSerializer,
                responses=answers({200: s.CorrectionSerializer,
                                   409: OpenApiResponse(s.ErrorsSerializer, description="Not correctable in its current status.")},
                                  body=True))
    def post(self, request, pk):
        self.require_kind(K.BROKER, K.FORWARDER)
        shipment = scoped(access.shipments_for(self.org), pk)
        data = self.body(s.CorrectSerializer)
        allowed = [field for field, _label in review.correctable_fields(self.org)]
        if data["field"] not in allowed:
            raise ApiError(400, "invalid_choice", _("Your organization cannot correct this field."), "field")
        try:
            change = review.shipment_correct(shipment_id=shipment.pk, org=self.org, user=None, field=data["field"], value=data["value"])
        except review.ReviewError as error:
            codes = _codes_in(error.message)
            if codes:
                raise ApiError(400, codes[0], error.message, "value",
                               errors=[{"code": code, "field": "value", "message": message_for(code)} for code in codes])
            if data["field"] == review.ENTRY_TYPE:
                raise ApiError(400, "invalid", error.message, "value")
            raise ApiError(409, "refused", error.message)
        return Response(change)


# --- CFS: collection, arrival, breakdown, hand-off ------------------------------------------------------------


class CollectView(ApiView):
    @documented(operation_id="mawbs_collect", summary="Record a collection at the airline terminal (CFS)",
                request=s.CollectSerializer, responses=answers({200: s.CollectedSerializer}, body=True))
    def post(self, request):
        self.require_kind(K.CFS)
        data = self.body(s.CollectSerializer)
        _scoped_ids(access.manifests_for(self.org), data["mawbs"], "mawbs[{index}]")
        try:
            done = manifests_collect_record(cfs=self.org, user=None, manifest_ids=data["mawbs"], driver=data["driver"],
                                            truck=data["truck"], bonded_carrier=data["bonded_carrier"])
        except CfsError as error:
            raise ApiError(400, "invalid", error.message)
        return Response({"collection": done.collection.pk if done.collection else None, "moved": sorted(done.outcome.moved),
                         "refused": [{"mawb": pk, "reason": str(reason)} for pk, reason in sorted(done.outcome.refused.items())]})


class ArrivalView(ApiView):
    @documented(operation_id="mawbs_arrival", summary="Record a MAWB's arrival at the station, pieces counted (CFS)",
                request=s.ArrivalSerializer,
                responses=answers({200: s.ArrivalDoneSerializer,
                                   409: OpenApiResponse(s.ErrorsSerializer, description="Refused (not in transit, a note missing).")},
                                  body=True))
    def post(self, request, pk):
        self.require_kind(K.CFS)
        mawb = scoped(access.manifests_for(self.org), pk)
        data = self.body(s.ArrivalSerializer)
        try:
            arrival = manifest_arrival_record(cfs=self.org, user=None, manifest_id=mawb.pk, pieces_received=data["pieces_received"],
                                              note=data.get("note", ""))
        except CfsError as error:
            raise ApiError(409, "refused", error.message)
        mawb.refresh_from_db()
        return Response({"mawb": s.MawbSerializer(mawb, context={"request": request}).data, "pieces_expected": arrival.pieces_expected,
                         "pieces_received": arrival.pieces_received, "difference": arrival.difference})


class BreakdownView(ApiView):
    @documented(operation_id="mawbs_breakdown", summary="Break a MAWB down into its HAWBs (CFS)", request=s.EmptySerializer,
                responses=answers({200: s.MawbSerializer,
                                   409: OpenApiResponse(s.ErrorsSerializer, description="Refused (not received at the station).")},
                                  body=True))
    def post(self, request, pk):
        self.require_kind(K.CFS)
        mawb = scoped(access.manifests_for(self.org), pk)
        self.body(s.EmptySerializer)
        try:
            manifest_breakdown(cfs=self.org, user=None, manifest_id=mawb.pk)
        except CfsError as error:
            raise ApiError(409, "refused", error.message)
        mawb.refresh_from_db()
        return Response(s.MawbSerializer(mawb, context={"request": request}).data)


class HandOffView(ApiView):
    @documented(operation_id="shipments_hand_off", summary="Hand parcels to a last-mile carrier, each with its tracking number (CFS)",
                request=s.HandOffSerializer, responses=answers({200: s.HandOffOutcomeSerializer}, body=True))
    def post(self, request):
        self.require_kind(K.CFS)
        data = self.body(s.HandOffSerializer)
        carrier = carriers_for(self.org).filter(code=data["carrier"].strip().lower()).first()
        if carrier is None:
            raise ApiError(400, "invalid_choice", _("Unknown carrier: use ups, fedex, dhl, usps or a code your station added."), "carrier")
        ids = [item["shipment"] for item in data["items"]]
        _scoped_ids(access.shipments_for(self.org), ids, "items[{index}].shipment")
        results = shipments_hand_off_select(cfs=self.org, user=None, carrier_id=carrier.pk,
                                            tracking_by_shipment={item["shipment"]: item["tracking_number"] for item in data["items"]})
        done, refused = [], []
        for item, result in zip(data["items"], results, strict=True):
            if result.ok:
                done.append({"shipment": item["shipment"], "carrier": carrier.code, "tracking_number": result.handoff.tracking_number})
            else:
                refused.append({"shipment": item["shipment"], "reason": str(result.refusal)})
        return Response({"handed_off": done, "refused": refused})


# --- The schema and its documentation -------------------------------------------------------------------

SPECTACULAR = {
    "TITLE": "Calista API",
    "DESCRIPTION": "Upload manifests, follow shipments, review and hand off, as the portal's pages do. Every call sends an API "
                   "key as `Authorization: Bearer <key>`; errors answer `{\"errors\": [{\"code\", \"field\", \"message\"}]}`.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "DISABLE_ERRORS_AND_WARNINGS": False,
}


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated from the code (public: it describes the API, not anyone's data)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    custom_settings = SPECTACULAR
    schema = AutoSchema()

    @documented(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# The browsable documentation runs Swagger UI and Redoc from drf-spectacular-sidecar's files: from the
# static files when the sidecar app is installed, otherwise served here. Never from a CDN.
SIDECAR_FILES = {
    "swagger-ui-dist/swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-dist/swagger-ui.css": "text/css",
    "redoc/bundles/redoc.standalone.js": "text/javascript",
}
DOCS_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
               "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'")


def _sidecar(name: str) -> str:
    if apps.is_installed("drf_spectacular_sidecar"):
        return static(f"drf_spectacular_sidecar/{name}")
    return reverse("api:v1:docs-asset", args=[name])


def _docs(request, template: str, assets: dict[str, str]):
    response = render(request, template, {"schema_url": reverse("api:v1:schema") + "?format=json",
                                          **{key: _sidecar(name) for key, name in assets.items()}})
    response["Content-Security-Policy"] = DOCS_POLICY  # the UIs style themselves inline; scripts stay strict
    return response


def docs_swagger(request):
    return _docs(request, "api/docs_swagger.html", {"bundle": "swagger-ui-dist/swagger-ui-bundle.js",
                                                     "css": "swagger-ui-dist/swagger-ui.css"})


def docs_redoc(request):
    return _docs(request, "api/docs_redoc.html", {"bundle": "redoc/bundles/redoc.standalone.js"})


def docs_asset(request, name: str):
    """One of the sidecar's files, for installs where the sidecar is not among the static files' apps."""
    content_type = SIDECAR_FILES.get(name)
    if content_type is None:
        raise Http404
    path = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar" / name
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
