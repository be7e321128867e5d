"""The manifest columns: canonical names, whether required, aliases and defaults (manifest-csv.md §2).

The reader, the checks, the help page and the templates all read this one table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...]
    label: str
    default: str = ""
    example: str = ""
    chinese: str = ""  # the header Chinese templates use (the first Chinese alias)


COLUMNS: tuple[Column, ...] = (
    Column("mawb", True, ("mawb", "mawb_no", "mawb_number", "master_awb", "master_air_waybill", "主单号", "总运单号"),
           _("Master air waybill: 11 digits, the last a check digit"), example="160-12345675"),
    Column("hawb", True, ("hawb", "hawb_no", "hawb_number", "house_awb", "house_air_waybill", "分单号", "分运单号"),
           _("House air waybill: up to 12 letters or digits"), example="SZX0000001"),
    Column("origin_airport", True, ("origin", "origin_airport", "departure_airport", "始发港", "起运港"),
           _("Airport of departure (3 letters)"), example="HKG"),
    Column("destination_airport", True, ("destination", "destination_airport", "arrival_airport", "port_of_arrival", "目的港"),
           _("US airport of arrival: LAX, SFO, JFK or ATL"), example="LAX"),
    Column("flight_number", True, ("flight", "flight_no", "flight_number", "航班号"),
           _("Flight number, e.g. CX880"), example="CX880"),
    Column("arrival_date", True, ("arrival_date", "flight_date", "eta", "到达日期", "航班日期"),
           _("Arrival date: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD, DD-MON-YYYY or DDMONYYYY"), example="2026-12-02"),
    Column("shipper_name", True, ("shipper", "shipper_name", "发件人", "发货人"), _("Shipper (seller) name"),
           example="Shenzhen Bright Trading Co Ltd"),
    Column("shipper_address", True, ("shipper_address", "发件人地址"), _("Shipper street address"),
           example="Bldg 5, Longhua Industrial Park"),
    Column("shipper_city", False, ("shipper_city",), _("Shipper city"), example="Shenzhen"),
    Column("shipper_country", True, ("shipper_country", "发件国"), _("Shipper country (ISO 2 letters)"), example="CN"),
    Column("consignee_name", True, ("consignee", "consignee_name", "收件人", "收货人"), _("Consignee (buyer) name"), example="Ana Lopez"),
    Column("consignee_address1", True, ("consignee_address", "consignee_address1", "consignee_street", "收件人地址"),
           _("Consignee street address"), example="4377 Maple Dr"),
    Column("consignee_address2", False, ("consignee_address2",), _("Consignee address, second line"), example="Apt 12"),
    Column("consignee_city", True, ("consignee_city", "收件人城市"), _("Consignee city"), example="Fairview"),
    Column("consignee_state", True, ("consignee_state", "state", "州"), _("US state (2 letters), DC or PR"), example="CA"),
    Column("consignee_zip", True, ("consignee_zip", "zip", "zipcode", "zip_code", "postal_code", "邮编"),
           _("ZIP code: 5 digits or ZIP+4"), example="90210"),
    Column("consignee_country", False, ("consignee_country",), _("Consignee country: US or PR"), default="US", example="US"),
    Column("consignee_phone", False, ("consignee_phone", "phone", "电话"), _("Consignee phone"), example="310-555-0123"),
    Column("consignee_email", False, ("consignee_email", "email"), _("Consignee e-mail"), example="ana@example.com"),
    Column("description", True, ("description", "goods_description", "commodity", "品名", "货物描述"),
           _("Specific description of the goods"), example="Silicone phone case"),
    Column("hts_code", True, ("hts", "hts_code", "htsus", "hs_code", "海关编码", "hs编码"),
           _("US HTS code, 10 digits (dots allowed)"), example="3926.90.9985"),
    Column("country_of_origin", True, ("country_of_origin", "origin_country", "coo", "原产国"),
           _("Country where the goods were made (ISO 2 letters)"), example="CN"),
    Column("pieces", True, ("pieces", "pcs", "quantity", "qty", "件数"), _("Number of pieces, 1 to 9999"), example="1"),
    Column("weight", True, ("weight", "gross_weight", "重量"), _("Gross weight, a positive number"), example="0.45"),
    Column("weight_unit", False, ("weight_unit", "unit", "重量单位"), _("Weight unit: K, KG, KGS, L, LB or LBS"), default="K", example="K"),
    Column("value", True, ("value", "declared_value", "fair_retail_value", "申报价值"),
           _("Declared value in US dollars"), example="25.00"),
    Column("currency", False, ("currency", "币种"), _("Currency: USD"), default="USD", example="USD"),
)

BY_NAME = {column.name: column for column in COLUMNS}
REQUIRED = tuple(column.name for column in COLUMNS if column.required)

# The first Chinese alias is what the Chinese template writes.
for _column in COLUMNS:
    _chinese = next((a for a in _column.aliases if re.search(r"[\u4e00-\u9fff]", a)), _column.name)
    object.__setattr__(_column, "chinese", _chinese)

_SEPARATORS = re.compile(r"(?:[^\w]|_)+")


def normalise_header(text: str) -> str:
    """NFKC, trim, lower-case, every run of non-letters/digits becomes one `_`, no `_` at either end."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = _SEPARATORS.sub("_", text)
    return text.strip("_")


ALIASES: dict[str, str] = {alias: column.name for column in COLUMNS for alias in column.aliases}


def canonical_for(header: str) -> str | None:
    return ALIASES.get(normalise_header(header))
