"""X-Twilio-Signature as Twilio documents it ("Secure webhooks"), with the example its
documentation gives."""

from __future__ import annotations

from bot.clients.phone.twilio import signature, signed_by_twilio
from emulator.twilio import twilio_signature

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}


def test_the_documented_example_signs_as_twilio_says() -> None:
    assert signature("12345", URL, PARAMS.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_signature("12345", URL, PARAMS) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_a_changed_field_url_or_token_is_not_twilios() -> None:
    good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert signed_by_twilio("12345", URL, PARAMS.items(), good)
    assert not signed_by_twilio("12345", URL, {**PARAMS, "Digits": "1"}.items(), good)
    assert not signed_by_twilio("12345", URL + "&x=1", PARAMS.items(), good)
    assert not signed_by_twilio("54321", URL, PARAMS.items(), good)
    assert not signed_by_twilio("12345", URL, PARAMS.items(), "")
