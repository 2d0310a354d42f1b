"""Numbers people add for themselves (``/oncall contact add sms|voice``), classified with
Google's libphonenumber data (the ``phonenumbers`` package): a number that is not a valid one
of its country, or whose range is premium-rate, shared-cost or of no known type, is refused,
so nobody makes warroom call or text a number that earns its owner money (toll fraud, SMS
pumping). An allow-list of countries, when set, refuses every other country. The contacts
file's numbers are the operator's and are not classified."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers
from phonenumbers import PhoneNumberType

# The types a code or a page never goes to, with the words a refusal says.
REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.UNKNOWN: "not a number of any known type",
}


def is_country(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-2 code libphonenumber knows numbers of."""
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


def number_problem(number: str, countries: Collection[str]) -> str | None:
    """Why ``number`` (E.164) may not be added, in words that do not repeat it; None when it
    may. ``countries``: the allowed ones (ISO 3166-1 alpha-2), empty for any."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return "that is not a phone number"
    if not phonenumbers.is_valid_number(parsed):
        return "that is not a number in use in any country's numbering plan"
    kind = phonenumbers.number_type(parsed)
    if kind in REFUSED_TYPES:
        return f"that is {REFUSED_TYPES[kind]}, which warroom never texts or calls"
    country = phonenumbers.region_code_for_number(parsed)
    if countries and country not in countries:
        return (
            f"numbers of {country} are not allowed here (allowed: {', '.join(sorted(countries))})"
        )
    return None


def canonical(number: str) -> str:
    """``number`` in E.164 as libphonenumber writes it (the same number, one spelling)."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
