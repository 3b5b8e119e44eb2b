"""An account's contacts (its recipients), and which of them, if any, sent a received SMS.

Only an SMS from a contact may make the house act or answer, so the sender is compared with the
recipients as E.164 numbers: ``06 12 34 56 78`` received in France is ``+33612345678``. A sender
that is not a phone number (a name, a short code) is nobody's contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import re
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .const import CONF_PHONE_NUMBER, SUBENTRY_RECIPIENT
from .gateways import InvalidRecipientError
from .gateways.numbers import from_provider, to_e164

_PHONE_NUMBER_TEXT = re.compile(r"\+?\(?[0-9][0-9 ()./-]*")
"""What a phone number looks like written out: digits and separators, no letters.

The number library reads letters as keypad digits (``0800 FLOWERS``); an alphanumeric sender
must never be read as somebody's number."""


@dataclass(frozen=True, slots=True)
class Contact:
    """A recipient of the account: its name and its number in E.164."""

    name: str
    number: str


def recipient_subentries(entry: ConfigEntry[Any]) -> list[ConfigSubentry]:
    """The entry's recipient subentries (one per person the account sends to)."""
    return [
        subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_RECIPIENT
    ]


def recipient_numbers(entry: ConfigEntry[Any]) -> list[str]:
    """The numbers of the entry's recipient subentries, as stored."""
    return [
        str(subentry.data.get(CONF_PHONE_NUMBER, "")) for subentry in recipient_subentries(entry)
    ]


def account_contacts(entry: ConfigEntry[Any], region: str) -> tuple[Contact, ...]:
    """The recipients of ``entry`` as contacts (a subentry whose number is not valid is none).

    The flow stores numbers in E.164; ``region`` reads one stored otherwise.
    """
    contacts: list[Contact] = []
    for subentry in recipient_subentries(entry):
        number = str(subentry.data.get(CONF_PHONE_NUMBER, ""))
        if (e164 := sender_number(number, region)) is not None:
            contacts.append(Contact(name=subentry.title, number=e164))
    return tuple(contacts)


class AccountContacts:
    """The recipients of an entry as contacts, worked out again only once they change.

    Read for every received SMS (a burst of pushes reads them a thousand times a second), while
    recipients change a few times a year. Home Assistant replaces the mapping of subentries when
    one is added or removed, and a subentry's title or data when it is edited: the contacts are
    kept while every subentry, its title and its data are the very same objects.
    """

    def __init__(self, entry: ConfigEntry[Any], region: str) -> None:
        """Nothing is worked out until the first call."""
        self._entry = entry
        self._region = region
        self._seen: list[tuple[ConfigSubentry, str, object]] | None = None
        self._contacts: tuple[Contact, ...] = ()

    def __call__(self) -> tuple[Contact, ...]:
        """The contacts as the entry's recipients are now."""
        subentries = list(self._entry.subentries.values())
        seen = self._seen
        if (
            seen is None
            or len(seen) != len(subentries)
            or not all(
                subentry is old and subentry.title is title and subentry.data is data
                for subentry, (old, title, data) in zip(subentries, seen, strict=True)
            )
        ):
            self._contacts = account_contacts(self._entry, self._region)
            self._seen = [(subentry, subentry.title, subentry.data) for subentry in subentries]
        return self._contacts


def sender_number(sender: str, region: str) -> str | None:
    """The sender in E.164, national numbers read in ``region``; None when it is not a number.

    Providers write numbers with or without ``+``, or in the national form; an alphanumeric
    sender, a short code or a number that is not valid gives None.
    """
    text = sender.strip()
    if not _PHONE_NUMBER_TEXT.fullmatch(text):
        return None
    try:
        return to_e164(from_provider(text, region), region)
    except InvalidRecipientError:
        return None


def find_contact(sender: str, contacts: Iterable[Contact], region: str) -> Contact | None:
    """The contact whose number sent an SMS, None when the sender is not one of them.

    Args:
        sender: the sender as the provider gave it (E.164, digits, national form or a name).
        contacts: the account's contacts.
        region: the account's country, to read a national number.
    """
    number = sender_number(sender, region)
    if number is None:
        return None
    return next((contact for contact in contacts if contact.number == number), None)
