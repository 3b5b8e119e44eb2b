"""A provider or proxy that answers with the request it got: the password shows nowhere."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

import aiohttp
import pytest

from custom_components.sms_gateways.gateways import (
    GATEWAYS,
    GatewayError,
    OutgoingSms,
    SmsGateway,
    create_gateway,
)
from custom_components.sms_gateways.gateways.redact import MASK, redact
from custom_components.sms_gateways.gateways.xml import excerpt
from tests.conftest import RunningSimulator

# A plain one, and one that every format writes in its own way.
PASSWORDS = ["hunter22-secret", 'Pa$$ w0rd&<é"+/']


def forms(password: str) -> set[str]:
    """The password as a request carries it, and as an error's repr() shows it."""
    written = {
        password,
        quote_plus(password),
        quote(password, safe=""),
        json.dumps(password)[1:-1],
        json.dumps(password, ensure_ascii=False)[1:-1],
        escape(password, {'"': "&quot;"}),
    }
    return written | {repr(form)[1:-1] for form in written}


# Every path a send or a balance of each provider may call.
PATHS = {
    "netoxygen": ["/netoxygen/api2/"],
    "smsfactor": ["/smsfactor/API/apiV2.php"],
    "mobyt": ["/mobyt/Mobyt/SENDSMS", "/mobyt/Mobyt/CREDITS", "/mobyt/Mobyt/SMSHISTORY"],
    "sms123": ["/sms123/api/send/", "/sms123/api/solde/"],
}


def _shown(texts: list[str]) -> str:
    return "\n".join(texts)


@pytest.fixture
def echoing(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    provider: str,
    password: str,
) -> SmsGateway:
    """The provider's adapter with ``password``, its every call answered with its own request."""
    caplog.set_level(logging.DEBUG)
    for path in PATHS[provider]:
        simulator.fault(path, "echo", count=100)
    return simulator.gateway(GATEWAYS[provider], session, password=password)


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("provider", list(PATHS))
async def test_an_echoed_send_shows_no_password(
    simulator: RunningSimulator,
    caplog: pytest.LogCaptureFixture,
    echoing: SmsGateway,
    password: str,
) -> None:
    """The error, the provider's words kept with it, each recipient's error and the log."""
    shown: list[str] = []
    sms = OutgoingSms(recipients=("+33612345678", "+33698765432"), message="Hello", sender="Home")
    try:
        result = await echoing.send(sms)
    except GatewayError as err:
        shown += [str(err), repr(err), err.provider_message or ""]
    else:
        shown += [f"{message.error} {message.provider_status}" for message in result.messages]
    shown.append(caplog.text)
    assert simulator.requests(), "the echo must have been asked"
    for form in forms(password):
        assert form not in _shown(shown), form


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("provider", ["netoxygen", "mobyt", "sms123"])
async def test_an_echoed_balance_shows_no_password(
    caplog: pytest.LogCaptureFixture, echoing: SmsGateway, password: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        await echoing.get_balance()
    shown = [str(caught.value), caught.value.provider_message or "", caplog.text]
    for form in forms(password):
        assert form not in _shown(shown), form


def test_excerpt_masks_before_it_cuts() -> None:
    """A password across the cut is masked whole, never left as its first characters."""
    gateway = create_gateway("mobyt", None, username="u", password="hunter22")  # type: ignore[arg-type]
    text = "x" * 75 + "password=hunter22"
    assert "hunt" not in excerpt(text, 80)
    assert excerpt("login=u&password=hunter22&x=1") == f"login=u&password={MASK}&x=1"
    del gateway


def test_a_gone_account_is_no_longer_masked() -> None:
    """Only the passwords of gateways that exist are masked."""
    gateway = create_gateway("mobyt", None, username="u", password="only-here")  # type: ignore[arg-type]
    assert redact("a only-here b") == f"a {MASK} b"
    del gateway
    import gc  # noqa: PLC0415

    gc.collect()
    assert redact("a only-here b") == "a only-here b"


def test_short_passwords_are_not_masked() -> None:
    """A password shorter than SHORTEST would mask the provider's own words."""
    gateway = create_gateway("mobyt", None, username="u", password="passe")  # type: ignore[arg-type]
    assert redact("Mot de passe incorrect") == "Mot de passe incorrect"
    del gateway


def test_the_longer_of_two_passwords_is_masked_whole() -> None:
    """One account's password inside another's: the longer is masked first, leaving nothing."""
    first = create_gateway("mobyt", None, username="a", password="secret")  # type: ignore[arg-type]
    second = create_gateway("sms123", None, username="b", password="secret-sauce")  # type: ignore[arg-type]
    assert redact("x secret-sauce y secret z") == f"x {MASK} y {MASK} z"
    del first, second
