"""What the API reads and writes. Parsing only: views call the services with what these return.

Request serializers refuse fields they do not know (`unknown_field`), so a typo in a client is
an error rather than a silently ignored value.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from customs import review
from shipments.ingest.codes import message_for
from shipments.ingest.columns import COLUMNS
from shipments.models import Custody, CustomsStatus, EntryType, Manifest, Shipment, ShipmentEvent, Upload
from shipments.progress import phase_total

SELECTION_LIMIT = review.SELECTION_LIMIT  # ids one call may act on, as in the browser


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [ErrorDetail(str(_("Unknown field.")), code="unknown_field")] for name in unknown})
        return super().to_internal_value(data)


# --- Errors (for the schema) --------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The manifest spec's code (F_TOO_LARGE, R_ZIP...) or a stable word (required, not_found...).")
    field = serializers.CharField(allow_null=True, help_text="What was wrong: rows[3].pieces, shipments[0], file; null for the request.")
    message = serializers.CharField()


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


# --- Manifests (uploads) -------------------------------------------------------------------------


class ManifestSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:v1:manifest-detail")
    report_url = serializers.HyperlinkedIdentityField(view_name="api:v1:manifest-report")
    name = serializers.CharField(source="original_name")
    encoding = serializers.CharField(source="requested_encoding", help_text="The encoding asked for; empty: detected.")
    summary = serializers.DictField(help_text="Rows, valid, invalid and entry types, once the upload is finished (§8 summary).")
    duplicate_of = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                      help_text="An earlier upload of the very same file, if any.")

    class Meta:
        model = Upload
        fields = ["id", "url", "report_url", "name", "state", "size", "sha256", "encoding", "rows_total", "rows_valid", "rows_invalid",
                  "summary", "duplicate_of", "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class ProgressSerializer(serializers.Serializer):
    phase = serializers.CharField(help_text="queued, read, check, store or done.")
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)


class ManifestDetailSerializer(ManifestSerializer):
    progress = serializers.SerializerMethodField()

    class Meta(ManifestSerializer.Meta):
        fields = [*ManifestSerializer.Meta.fields, "progress"]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, upload):
        if upload.is_finished:  # the upload's own count: the cache's progress may be gone, or one phase behind
            return {"phase": "done", "done": upload.rows_valid, "total": upload.rows_valid or None}
        state = self.context.get("progress") or {}
        phase = state.get("phase", "done" if upload.is_finished else "queued")
        return {"phase": phase, "done": int(state.get(f"{phase}_done", 0) or 0), "total": phase_total(state, phase) or None}


class ManifestFileSerializer(StrictSerializer):
    file = serializers.FileField(allow_empty_file=True,
                                 help_text="The manifest: .csv or .xlsx, as a forwarder would upload it in the browser.")
    encoding = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                     help_text="Only for CSV: the text encoding (utf-8, gb18030...). Empty: detected.")

    def validate_file(self, file):
        if not file.size:  # the spec's code, as for an empty list of rows
            raise serializers.ValidationError(message_for("F_EMPTY"), code="F_EMPTY")
        return file


def _row_fields() -> dict:
    return {column.name: serializers.CharField(required=column.required, allow_blank=True, allow_null=True, help_text=str(column.label))
            for column in COLUMNS}


ManifestRowSerializer = type("ManifestRowSerializer", (serializers.Serializer,), {
    **_row_fields(), "__doc__": "One manifest row: canonical column names (manifest-csv.md §2); text, numbers or null.",
})


class ManifestRowsSerializer(StrictSerializer):
    """Documents the JSON body; the rows are checked by api.uploads.rows_parse (fast, for 200,000 rows)."""

    rows = ManifestRowSerializer(many=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                 help_text="A name for the upload, shown on the portal (stored as .csv).")


# --- The §8 report (for the schema; the view returns the document api.uploads.upload_report builds) ----


class ReportFileErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField(), required=False)


class ReportWarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    column = serializers.CharField(required=False)


class ReportFileSerializer(serializers.Serializer):
    encoding = serializers.CharField(allow_null=True)
    delimiter = serializers.CharField(allow_null=True)
    records = serializers.IntegerField()
    columns = serializers.DictField(child=serializers.CharField())
    errors = ReportFileErrorSerializer(many=True)
    warnings = ReportWarningSerializer(many=True)


class ReportSummarySerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    entry_types = serializers.DictField(child=serializers.IntegerField())


class ReportRowErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    column = serializers.CharField()
    message = serializers.CharField()


class ReportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    mawb = serializers.CharField(allow_blank=True)
    hawb = serializers.CharField(allow_blank=True)
    valid = serializers.BooleanField()
    errors = ReportRowErrorSerializer(many=True)
    warnings = ReportWarningSerializer(many=True)
    entry_type = serializers.CharField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    pga = serializers.ListField(child=serializers.CharField())


class ReportSerializer(serializers.Serializer):
    file = ReportFileSerializer()
    summary = ReportSummarySerializer()
    rows = ReportRowSerializer(many=True)


# --- MAWBs and shipments ------------------------------------------------------------------------


ARRIVED_ON = ("The day the flight landed, as ACE's arrival notice says (null until then); the general-order clock counts from "
              "it. arrival_date is the scheduled date from the manifest.")


class MawbSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:v1:mawb-detail")

    class Meta:
        model = Manifest
        fields = ["id", "url", "mawb", "origin_airport", "destination_airport", "flight_number", "arrival_date", "arrived_on",
                  "custody", "pieces_expected", "pieces_received", "shipments_count", "created_at", "closed_at"]
        read_only_fields = fields
        extra_kwargs = {"arrived_on": {"help_text": ARRIVED_ON}}


class ShipmentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:v1:shipment-detail")
    mawb_id = serializers.IntegerField(source="manifest_id", read_only=True, help_text="The MAWB (see /api/v1/mawbs/).")
    manifest = serializers.IntegerField(source="upload_id", read_only=True, allow_null=True,
                                        help_text="The upload the shipment came from (see /api/v1/manifests/).")

    class Meta:
        model = Shipment
        fields = ["id", "url", "mawb", "hawb", "mawb_id", "manifest", "origin_airport", "destination_airport", "flight_number",
                  "arrival_date", "arrived_on", "entry_type", "status", "custody", "open_holds", "status_changed_at", "created_at"]
        read_only_fields = fields
        extra_kwargs = {"arrived_on": {"help_text": ARRIVED_ON}}


class TimelineEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShipmentEvent
        fields = ["id", "dimension", "from_state", "to_state", "actor", "at", "message"]
        read_only_fields = fields


class ShipmentDetailSerializer(ShipmentSerializer):
    timeline = serializers.SerializerMethodField()

    class Meta(ShipmentSerializer.Meta):
        fields = [*ShipmentSerializer.Meta.fields,
                  "shipper_name", "shipper_address", "shipper_city", "shipper_country",
                  "consignee_name", "consignee_address1", "consignee_address2", "consignee_city", "consignee_state", "consignee_zip",
                  "consignee_country", "consignee_phone", "consignee_email",
                  "description", "hts_code", "country_of_origin", "pieces", "weight_kg", "weight_original", "value_usd",
                  "reasons", "pga", "duty_estimate_usd", "mpf_estimate_usd", "decided_at", "timeline"]
        read_only_fields = fields

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, shipment):
        return TimelineEventSerializer(shipment.events.order_by("at", "id"), many=True).data


class ShipmentFilterSerializer(StrictSerializer):
    """The query parameters of the shipment list."""

    status = serializers.ChoiceField(choices=CustomsStatus.choices, required=False)
    custody = serializers.ChoiceField(choices=Custody.choices, required=False)
    entry_type = serializers.ChoiceField(choices=EntryType.choices, required=False)
    mawb = serializers.RegexField(r"^[0-9 -]{1,20}$", required=False, help_text="The MAWB number (dashes and spaces allowed).")
    hawb = serializers.CharField(required=False, max_length=40)
    mawb_id = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    manifest = serializers.IntegerField(required=False, min_value=1, max_value=2**62, help_text="Only shipments of this upload.")
    arrival_from = serializers.DateField(required=False)
    arrival_to = serializers.DateField(required=False)
    cursor = serializers.CharField(required=False, max_length=400, help_text="The cursor of a `next` or `previous` link.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, help_text="Results a page (default 100).")


class MawbFilterSerializer(StrictSerializer):
    custody = serializers.ChoiceField(choices=Custody.choices, required=False)
    mawb = serializers.RegexField(r"^[0-9 -]{1,20}$", required=False)
    arrival_from = serializers.DateField(required=False)
    arrival_to = serializers.DateField(required=False)
    cursor = serializers.CharField(required=False, max_length=400, help_text="The cursor of a `next` or `previous` link.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, help_text="Results a page (default 100).")


class ManifestFilterSerializer(StrictSerializer):
    state = serializers.ChoiceField(choices=Upload.State.choices, required=False)
    cursor = serializers.CharField(required=False, max_length=400, help_text="The cursor of a `next` or `previous` link.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, help_text="Results a page (default 100).")


class ReportQuerySerializer(StrictSerializer):
    rows = serializers.ChoiceField(choices=[("all", "all"), ("invalid", "invalid"), ("none", "none")], required=False, default="all",
                                   help_text="all: every row (§8); invalid: only the failed rows; none: file and summary only.")


# --- Broker: review -----------------------------------------------------------------------------


def _ids(help_text: str):
    return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**62), min_length=1,
                                 max_length=SELECTION_LIMIT, help_text=help_text)


class ApproveSerializer(StrictSerializer):
    shipments = _ids("Shipment ids (at most 500), all of them in your queue.")


class RejectSerializer(StrictSerializer):
    shipments = _ids("Shipment ids (at most 500), all of them in your queue.")
    reason = serializers.CharField(max_length=review.TEXT_LIMIT, help_text="Why: the forwarder reads it.")


class CorrectSerializer(StrictSerializer):
    field = serializers.ChoiceField(choices=[(review.ENTRY_TYPE, review.ENTRY_TYPE), *[(name, name) for name in review.CORRECTABLE]],
                                    help_text="The field to correct; entry_type is the broker's alone.")
    value = serializers.CharField(allow_blank=True, max_length=review.TEXT_LIMIT)


class RefusedSerializer(serializers.Serializer):
    shipment = serializers.IntegerField()
    reason = serializers.CharField()


class OutcomeSerializer(serializers.Serializer):
    moved = serializers.ListField(child=serializers.IntegerField(), help_text="The shipments that changed.")
    refused = RefusedSerializer(many=True, help_text="The shipments that could not change, and why; nothing changed for them.")


class CorrectionSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


# --- CFS ------------------------------------------------------------------------------------------


class CollectSerializer(StrictSerializer):
    mawbs = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**62), min_length=1, max_length=100,
                                  help_text="The MAWBs the truck collected (ids, with a permit to transfer to your station).")
    driver = serializers.CharField(max_length=120)
    truck = serializers.CharField(max_length=40)
    bonded_carrier = serializers.CharField(max_length=120)


class RefusedMawbSerializer(serializers.Serializer):
    mawb = serializers.IntegerField()
    reason = serializers.CharField()


class CollectedSerializer(serializers.Serializer):
    collection = serializers.IntegerField(allow_null=True, help_text="The collection recorded (null when no MAWB moved).")
    moved = serializers.ListField(child=serializers.IntegerField(), help_text="The MAWBs now in transit.")
    refused = RefusedMawbSerializer(many=True, help_text="The MAWBs that could not be collected, and why.")


class ArrivalSerializer(StrictSerializer):
    pieces_received = serializers.IntegerField(min_value=0, max_value=10_000_000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 help_text="Required when the count differs from the manifest (a shortage or an overage).")


class ArrivalDoneSerializer(serializers.Serializer):
    mawb = MawbSerializer()
    pieces_expected = serializers.IntegerField()
    pieces_received = serializers.IntegerField()
    difference = serializers.IntegerField()


class EmptySerializer(StrictSerializer):
    """No fields: an empty JSON object (or no body)."""


class HandOffItemSerializer(StrictSerializer):
    shipment = serializers.IntegerField(min_value=1, max_value=2**62)
    tracking_number = serializers.CharField(max_length=60)


class HandOffSerializer(StrictSerializer):
    carrier = serializers.CharField(max_length=20, help_text="The carrier's code: ups, fedex, dhl, usps, or one your station added.")
    items = HandOffItemSerializer(many=True, min_length=1, max_length=SELECTION_LIMIT)

    def validate_items(self, items):
        seen = set()
        for index, item in enumerate(items):
            if item["shipment"] in seen:
                raise serializers.ValidationError({index: {"shipment": [ErrorDetail(str(_("Listed twice.")), code="duplicate")]}})
            seen.add(item["shipment"])
        return items


class HandedOffSerializer(serializers.Serializer):
    shipment = serializers.IntegerField()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()


class HandOffOutcomeSerializer(serializers.Serializer):
    handed_off = HandedOffSerializer(many=True)
    refused = RefusedSerializer(many=True)
