"""Diagnostics: the entry, the provider's capabilities and the last data, without secrets."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import CONF_CLOUDHOOK_URL, CONF_PHONE_NUMBER
from .gateways import mask_numbers
from .runtime import SmsGatewaysConfigEntry
from .webhook import async_webhook_url

TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    CONF_PHONE_NUMBER,
    "title",
    "unique_id",
}


def _redact_numbers(data: Any) -> Any:
    """``data`` with every text that holds a phone number redacted (a numeric sender, any key)."""
    if isinstance(data, dict):
        return {key: _redact_numbers(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_redact_numbers(value) for value in data]
    if isinstance(data, str) and mask_numbers(data) != data:
        return REDACTED
    return data


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry
) -> dict[str, Any]:
    """The entry and what the provider last told us."""
    gateway = entry.runtime_data.gateway
    data = entry.runtime_data.coordinator.data
    tracker = entry.runtime_data.tracker
    inbound = entry.runtime_data.inbound
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    balance = data.balance
    diagnostics = {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            TO_REDACT,
        ),
        "recipients": [
            async_redact_data(
                {"title": subentry.title, "unique_id": subentry.unique_id, **subentry.data},
                TO_REDACT,
            )
            for subentry in entry.subentries.values()
        ],
        "provider": {
            "key": gateway.provider,
            "api_url": gateway.api_url,
            "region": gateway.region,
            "capabilities": sorted(capability.value for capability in gateway.capabilities),
        },
        "account": {
            "credits": balance.total if balance else None,
            "credit_lines": [
                {"credit_type": line.credit_type, "nation": line.nation, "amount": line.amount}
                for line in balance.lines
            ]
            if balance
            else [],
            "account_status": data.account_status,
            "last_update_success": entry.runtime_data.coordinator.last_update_success,
        },
        "webhook": {
            # The URL to paste in the provider's console, its secret id redacted.
            "url": async_webhook_url(hass, webhook_id).replace(webhook_id, REDACTED),
            "inbound_push_seen_at": (
                inbound.push_seen_at.isoformat() if inbound.push_seen_at else None
            ),
            "inbound_polling": inbound.polls,
            "last_inbound_id": inbound.last_id,
        },
        "delivery": {
            "pending": len(tracker.pending),
            "last_status": tracker.last.status.value if tracker.last else None,
            "last_provider_status": tracker.last.provider_status if tracker.last else None,
        },
    }
    # A sender or an option may be a phone number: none is shown, whatever its key.
    return dict(_redact_numbers(diagnostics))
