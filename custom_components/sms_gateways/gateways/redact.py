"""Keeping the accounts' passwords out of what the library shows: error texts and log lines.

A provider, or a proxy in front of it, may answer with the request it received (an error page
that quotes the form, a JSON echo): the password is in it, in one of the forms a request carries
it. Every excerpt of a reply goes through ``redact`` (see ``xml.excerpt``), which replaces every
live account's password, in each of those forms, before the text is cut or shown.
"""

from __future__ import annotations

from collections import Counter
import json
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

MASK = "***"
SHORTEST = 6
"""Shorter passwords are not masked: they would mask the provider's words ("pass" would turn
"Mot de passe incorrect" into "Mot de ***e incorrect"), and are guessed faster than read."""

_live: Counter[str] = Counter()
"""The passwords of the gateways that exist, each counted once per gateway."""
_masked: tuple[str, ...] = ()
"""Every form of every live password, longest first: none is left half-masked by a shorter
one inside it (a form of the same password, or another account's password)."""


def _written(secret: str) -> set[str]:
    """``secret`` as a request may carry it: as is, form-quoted, URL-quoted, in JSON, in XML."""
    return {
        secret,
        quote_plus(secret, errors="surrogatepass"),
        quote(secret, safe="", errors="surrogatepass"),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        escape(secret, {'"': "&quot;", "'": "&apos;"}),
    }


def _update() -> None:
    global _masked  # noqa: PLW0603  # one tuple, rebuilt when the accounts change
    forms = set().union(*map(_written, _live))
    _masked = tuple(sorted(forms, key=len, reverse=True))


def hide(secret: str) -> None:
    """Mask ``secret`` in every excerpt from now on (until ``forget`` is called as often)."""
    if len(secret) < SHORTEST:
        return
    _live[secret] += 1
    if _live[secret] == 1:
        _update()


def forget(secret: str) -> None:
    """The gateway that held ``secret`` is gone: one fewer reason to mask it."""
    if _live.get(secret, 0) <= 0:
        return
    _live[secret] -= 1
    if _live[secret] == 0:
        del _live[secret]
        _update()


def redact(text: str) -> str:
    """``text`` with every live password, in every form a request carries it, masked."""
    for form in _masked:
        if form in text:
            text = text.replace(form, MASK)
    return text
