"""Trusted contacts: a received SMS names the recipient who sent it; only recipients are trusted."""

from __future__ import annotations

from http import HTTPStatus
from types import MappingProxyType
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigSubentry, ConfigSubentryData
from homeassistant.core import HomeAssistant
from hypothesis import assume, given, strategies as st
import phonenumbers
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_gateways.const import (
    CONF_PHONE_NUMBER,
    CONF_REGION,
    EVENT_INBOUND_SMS,
    SUBENTRY_RECIPIENT,
)
from custom_components.sms_gateways.contacts import (
    AccountContacts,
    Contact,
    account_contacts,
    find_contact,
    sender_number,
)
from tests.conftest import RunningSimulator

from .common import ClientFactory, entity_id_of, setup_entry, webhook_path
from .conftest import ALICE, BOB, make_entry

CONTACTS = (Contact("Alice", ALICE), Contact("Bob", BOB))

# --- the matching, without Home Assistant ------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "region", "expected"),
    [
        ("+33612345678", "FR", "Bob"),
        ("33612345678", "FR", "Bob"),
        ("06 12 34 56 78", "FR", "Bob"),
        ("0033612345678", "FR", "Bob"),
        ("+33 6 12 34 56 78", "CH", "Bob"),
        ("079 123 45 67", "CH", "Alice"),
        ("41791234567", "FR", "Alice"),
        # The same national digits read in another country are another number.
        ("06 12 34 56 78", "CH", None),
        ("+33612345679", "FR", None),
        # Not phone numbers: never anybody's.
        ("Bob", "FR", None),
        ("EDF", "FR", None),
        ("36177", "FR", None),
        ("", "FR", None),
        ("+", "FR", None),
        # Letters are never read as keypad digits.
        ("+3361234567B", "FR", None),
        ("06 12 34 56 7B", "FR", None),
    ],
)
def test_find_contact(sender: str, region: str, expected: str | None) -> None:
    """The sender is compared as an E.164 number, national forms read in the account's country."""
    contact = find_contact(sender, CONTACTS, region)
    assert (contact.name if contact else None) == expected


REGIONS = ("FR", "CH", "DE", "IT", "BE", "LU", "AT", "ES", "GB", "NL", "US", "CA")


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """A valid mobile number of a country the providers serve, and that country."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    national = str(example.national_number)
    tail = draw(st.text("0123456789", min_size=4, max_size=4))
    number = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{tail}")
    assume(phonenumbers.is_valid_number(number))
    return region, number


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _forms(region: str, number: phonenumbers.PhoneNumber) -> list[tuple[str, str]]:
    """Ways a provider writes the number, each with the country it is read in."""
    e164 = _e164(number)
    return [
        (e164, "FR"),
        (e164.removeprefix("+"), "CH"),
        (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL), "DE"),
        (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), region),
    ]


@given(valid_numbers(), st.text("Zoé Marc", min_size=1, max_size=8))
def test_a_number_and_its_national_form_always_match(
    drawn: tuple[str, phonenumbers.PhoneNumber], name: str
) -> None:
    """However the provider writes a recipient's number, the recipient is found."""
    region, number = drawn
    contact = Contact(name, _e164(number))
    for form, read_in in _forms(region, number):
        assert find_contact(form, [*CONTACTS, contact], read_in) == contact, form


@given(valid_numbers(), st.lists(valid_numbers(), max_size=5))
def test_a_number_that_is_no_recipient_is_never_trusted(
    drawn: tuple[str, phonenumbers.PhoneNumber],
    recipients: list[tuple[str, phonenumbers.PhoneNumber]],
) -> None:
    """A sender whose number is none of the recipients' matches nobody, in any form."""
    region, number = drawn
    contacts = [Contact(f"R{index}", _e164(other)) for index, (_, other) in enumerate(recipients)]
    assume(_e164(number) not in {contact.number for contact in contacts})
    for form, read_in in _forms(region, number):
        assert find_contact(form, contacts, read_in) is None, form


@given(st.text(max_size=40), st.sampled_from(REGIONS))
def test_any_sender_is_read_without_error(sender: str, region: str) -> None:
    """Any text gives a number or None; text with a letter is never a number."""
    number = sender_number(sender, region)
    if number is not None:
        assert number.startswith("+")
        assert number[1:].isdigit()
        assert not any(character.isalpha() for character in sender)
        assert find_contact(sender, [Contact("X", number)], region) == Contact("X", number)


def test_contacts_are_the_recipients() -> None:
    """Recipient subentries are the contacts; other subentries and bad numbers are not."""
    entry = MockConfigEntry(
        domain="sms_gateways",
        subentries_data=[
            ConfigSubentryData(
                data={CONF_PHONE_NUMBER: ALICE},
                subentry_type=SUBENTRY_RECIPIENT,
                title="Alice",
                unique_id=ALICE,
            ),
            ConfigSubentryData(
                data={CONF_PHONE_NUMBER: "06 12 34 56 78"},
                subentry_type=SUBENTRY_RECIPIENT,
                title="Bob",
                unique_id="bob",
            ),
            ConfigSubentryData(
                data={CONF_PHONE_NUMBER: "not a number"},
                subentry_type=SUBENTRY_RECIPIENT,
                title="Broken",
                unique_id="broken",
            ),
            ConfigSubentryData(
                data={CONF_PHONE_NUMBER: BOB}, subentry_type="other", title="Eve", unique_id="x"
            ),
        ],
    )
    assert account_contacts(entry, "FR") == (Contact("Alice", ALICE), Contact("Bob", BOB))


async def test_contacts_follow_each_change_of_the_recipients(hass: HomeAssistant) -> None:
    """Kept between reads, the contacts still follow a recipient added, edited in place or removed.

    The entry is not loaded, so no reload works them out afresh: only the cache's own check does.
    """
    entry = MockConfigEntry(domain="sms_gateways")
    entry.add_to_hass(hass)
    contacts = AccountContacts(entry, "FR")
    assert contacts() == ()
    bob = ConfigSubentry(
        data=MappingProxyType({CONF_PHONE_NUMBER: BOB}),
        subentry_type=SUBENTRY_RECIPIENT,
        title="Bob",
        unique_id="bob",
    )
    hass.config_entries.async_add_subentry(entry, bob)
    assert contacts() == (Contact("Bob", BOB),)
    assert contacts() is contacts()  # not worked out again while nothing changes

    assert hass.config_entries.async_update_subentry(entry, bob, title="Robert")
    assert contacts() == (Contact("Robert", BOB),)
    assert hass.config_entries.async_update_subentry(entry, bob, data={CONF_PHONE_NUMBER: ALICE})
    assert contacts() == (Contact("Robert", ALICE),)
    assert hass.config_entries.async_remove_subentry(entry, bob.subentry_id)
    assert contacts() == ()


# --- received SMS, through Home Assistant --------------------------------------------------------


async def _push_mobyt(client: TestClient[Any, Any], entry: MockConfigEntry, **form: str) -> None:
    response = await client.post(
        webhook_path(entry),
        data={"text": "STATUS", "recipient": "+33757000001", "delivery_date": "20240715210509"}
        | form,
    )
    assert response.status == HTTPStatus.OK


async def test_received_sms_says_who_sent_it(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """The bus event and the event entity name the recipient who sent the SMS.

    National numbers are read in the account's country; a stranger and an alphanumeric sender
    are not trusted.
    """
    entry = await setup_entry(
        hass,
        make_entry(
            simulator,
            "mobyt",
            options={CONF_REGION: "CH"},
            recipients={"Alice": ALICE, "Bob": BOB},
        ),
    )
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    entity_id = entity_id_of(hass, entry, "event", "inbound_sms")
    client = await hass_client_no_auth()
    seen: list[tuple[Any, Any, Any]] = []
    for message_id, sender in (
        ("1", "079 123 45 67"),
        ("2", "+33 6 12 34 56 78"),
        ("3", "+33612345679"),
        ("4", "Bob"),
    ):
        await _push_mobyt(client, entry, id=message_id, sender=sender)
        await hass.async_block_till_done()
        state = hass.states.get(entity_id)
        assert state is not None
        attributes = state.attributes
        seen.append((attributes["sender"], attributes["contact"], attributes["trusted"]))

    expected = [
        (ALICE, "Alice", True),
        (BOB, "Bob", True),
        ("+33612345679", None, False),
        ("Bob", None, False),
    ]
    assert seen == expected
    assert [(e.data["sender"], e.data["contact"], e.data["trusted"]) for e in events] == expected


async def test_a_recipient_added_later_is_trusted(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client_no_auth: ClientFactory
) -> None:
    """A recipient added after the set-up is a contact from then on; a removed one no longer."""
    entry = await setup_entry(hass, make_entry(simulator, "mobyt"))
    events = async_capture_events(hass, EVENT_INBOUND_SMS)
    client = await hass_client_no_auth()
    await _push_mobyt(client, entry, id="1", sender=BOB)
    await hass.async_block_till_done()

    subentry = ConfigSubentry(
        data=MappingProxyType({CONF_PHONE_NUMBER: BOB}),
        subentry_type=SUBENTRY_RECIPIENT,
        title="Bob",
        unique_id=BOB,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    await hass.async_block_till_done()
    await _push_mobyt(client, entry, id="2", sender=BOB)
    await hass.async_block_till_done()

    assert hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    await _push_mobyt(client, entry, id="3", sender=BOB)
    await hass.async_block_till_done()

    assert [(e.data["contact"], e.data["trusted"]) for e in events] == [
        (None, False),
        ("Bob", True),
        (None, False),
    ]
