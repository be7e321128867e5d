"""Every code a manifest check can report, with its message in plain words (English; Chinese via gettext).

Codes are stable identifiers (manifest-csv.md): messages may change, codes never.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Code:
    code: str
    level: str  # file, row or warning
    message: str  # what is wrong, in plain words
    fix: str  # what to do about it


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code("F_ENCODING", "file", _("The file's text could not be decoded (tried UTF-8 and GB18030, or the encoding you chose)."),
             _("Save the file as UTF-8 CSV, or choose the encoding it was written in.")),
        Code("F_NOT_TABULAR", "file", _("This is not a CSV text file or a readable .xlsx workbook."),
             _("Upload a .csv or .xlsx file. Save legacy .xls files as .xlsx first.")),
        Code("F_EMPTY", "file", _("The file has no header row, or a header and no data rows."),
             _("Put the column names in the first row and one shipment per row below it.")),
        Code("F_MISSING_COLUMNS", "file", _("Required columns are missing: %(columns)s."),
             _("Add these columns; the help page lists the names the portal recognises.")),
        Code("F_DUPLICATE_COLUMNS", "file", _("Several headers mean the same column: %(headers)s."),
             _("Keep one column for each of these and delete the others.")),
        Code("F_TOO_LARGE", "file", _("The file is over the limit of %(limit)s."),
             _("Split the file into smaller files and upload each.")),
        Code("R_REQUIRED", "row", _("A value is required."), _("Fill in the value.")),
        Code("R_MAWB_FORMAT", "row", _("The MAWB must be 11 digits (dashes and spaces are allowed)."),
             _("Copy the MAWB number from the air waybill, e.g. 160-12345675. Excel drops leading zeros (016…, 001…): "
               "keep the dash or format the column as text.")),
        Code("R_MAWB_CHECK_DIGIT", "row", _("The MAWB's last digit does not match its check digit."),
             _("A digit is probably mistyped: check the MAWB against the air waybill.")),
        Code("R_HAWB_FORMAT", "row", _("The HAWB must be 1 to 12 letters or digits, without spaces or symbols."),
             _("Remove dashes, spaces and symbols, or shorten the number.")),
        Code("R_HAWB_DUPLICATE", "row", _("This HAWB already appears in an earlier row of the file under the same MAWB."),
             _("Give each parcel its own HAWB, or delete the repeated row.")),
        Code("R_HAWB_EXISTS", "row", _("This HAWB is already on the portal under the same MAWB."),
             _("It was uploaded before: delete the row, or cancel the earlier shipment first.")),
        Code("R_AIRPORT", "row", _("Unknown airport: origin must be 3 letters, destination one of the served airports."),
             _("Use IATA airport codes; the portal clears LAX, SFO, JFK and ATL.")),
        Code("R_FLIGHT", "row", _("The flight number must be an airline code and 1 to 4 digits, e.g. CX880."),
             _("Write the flight as on the air waybill, without dashes.")),
        Code("R_DATE", "row",
             _("The arrival date is not a real date in an accepted format, is before 2019-09-28, or is more than a year ahead."),
             _("Write dates as YYYY-MM-DD (or YYYYMMDD, DD-MON-YYYY).")),
        Code("R_MAWB_INCONSISTENT", "row", _("Rows of this MAWB disagree on origin, destination, flight or arrival date."),
             _("All parcels of one MAWB fly together: make these values the same in every row of the MAWB.")),
        Code("R_COUNTRY", "row", _("Not a valid country code (ISO 3166 two letters; the consignee must be in the US or PR)."),
             _("Use two-letter codes such as CN, HK, VN, US.")),
        Code("R_STATE", "row", _("Not a US state code (the 50 states, DC or PR)."), _("Use the two-letter postal code, e.g. CA, NY.")),
        Code("R_ZIP", "row", _("The ZIP code must be 5 digits or ZIP+4."), _("Write ZIP codes like 90210 or 90210-1234.")),
        Code("R_HTS_FORMAT", "row", _("The HTS code must have 10 digits."),
             _("Use the full 10-digit US HTS code, e.g. 3926.90.9985. Excel drops the leading zero of chapters 01 to 09: "
               "keep the dots or format the column as text.")),
        Code("R_DESCRIPTION_VAGUE", "row", _("The description is too vague for CBP (e.g. 'gift', 'parts', 'goods')."),
             _("Say what the item is: 'silicone phone case', not 'accessories'.")),
        Code("R_NON_LATIN", "row", _("Contains characters ACE cannot take (Chinese or other non-Latin text)."),
             _("Write names, addresses and descriptions in Latin letters (pinyin or English).")),
        Code("R_PIECES", "row", _("Pieces must be a whole number from 1 to 9999."), _("Write the number of pieces without decimals.")),
        Code("R_WEIGHT", "row", _("The weight must be a positive number (up to 3 decimals) and the unit K, KG, KGS, L, LB or LBS."),
             _("Write the weight like 0.45 and the unit in its own column.")),
        Code("R_VALUE", "row", _("The value must be a positive amount in US dollars, like 25.00 or 1,234.50."),
             _("Write the value without currency words or a decimal comma.")),
        Code("R_CURRENCY", "row", _("Only US dollars (USD) are accepted."), _("Convert the value to US dollars.")),
        Code("R_EMAIL", "row", _("Not a valid e-mail address."), _("Correct the address, or leave it empty.")),
        Code("W_ZIP_PADDED", "warning", _("A ZIP code of 3 or 4 digits was padded with leading zeros (Excel drops them)."),
             _("Check the ZIP code; format the column as text in Excel.")),
        Code("W_UNKNOWN_COLUMN", "warning", _("This column is not one the portal knows; it was ignored."),
             _("Rename it if it should be read; the help page lists the names.")),
    )
}

FILE_CODES = tuple(c for c in CODES if c.startswith("F_"))
ROW_CODES = tuple(c for c in CODES if c.startswith("R_"))


def message_for(code: str, **params) -> str:
    """The message of a code in the active language, with its parameters filled in."""
    text = str(CODES[code].message)
    return text % params if params else text
