"""The repair issues of an account: all are warnings the user fixes outside the dialog."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


@callback
def async_raise_warning(
    hass: HomeAssistant, issue_id: str, translation_key: str, placeholders: dict[str, str]
) -> None:
    """Raise (or update) a warning: out of credits, daily limit reached, outbox waiting long."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )
