"""The integration's actions: send, follow and cancel SMS, numbers, history, 123-SMS contacts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from .compose import SEND_OPTION_FIELDS, local_datetime
from .const import (
    ATTR_BATCH_ID,
    ATTR_BIRTHDAY,
    ATTR_COMPANY,
    ATTR_END,
    ATTR_FIRST_NAME,
    ATTR_GROUP,
    ATTR_GROUPS,
    ATTR_LAST_NAME,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_MESSAGE_IDS,
    ATTR_NEW_NAME,
    ATTR_NEW_NUMBER,
    ATTR_NUMBER,
    ATTR_RECIPIENTS,
    ATTR_START,
    ATTR_VARIABLES,
    DOMAIN,
)
from .gateways import Capability, Contact, DeliveryReport, GatewayError
from .loading import async_send_through
from .runtime import SmsGatewaysConfigEntry
from .send_request import SendRequest
from .sending import preview
from .translated_errors import gateway_error

SERVICE_SEND_SMS = "send_sms"
SERVICE_CANCEL_SMS = "cancel_sms"
SERVICE_PREVIEW_SMS = "preview_sms"
SERVICE_GET_DELIVERY_STATUS = "get_delivery_status"
SERVICE_NORMALIZE_NUMBER = "normalize_number"
SERVICE_GET_HISTORY = "get_history"
SERVICE_ADD_GROUP = "add_group"
SERVICE_RENAME_GROUP = "rename_group"
SERVICE_DELETE_GROUP = "delete_group"
SERVICE_ADD_CONTACT = "add_contact"
SERVICE_UPDATE_CONTACT = "update_contact"
SERVICE_DELETE_CONTACT = "delete_contact"

ENTRY_SCHEMA = probatio.Schema({probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string})

SEND_SMS_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Required(ATTR_RECIPIENTS): probatio.All(cv.ensure_list, [cv.string]),
        probatio.Required(ATTR_MESSAGE): cv.string,
        **SEND_OPTION_FIELDS,
    }
)
CANCEL_SMS_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Exclusive(ATTR_MESSAGE_ID, "cancel"): cv.string,
        probatio.Exclusive(ATTR_BATCH_ID, "cancel"): cv.string,
    }
)
PREVIEW_SMS_SCHEMA = ENTRY_SCHEMA.extend({probatio.Required(ATTR_MESSAGE): cv.string})
GET_DELIVERY_STATUS_SCHEMA = ENTRY_SCHEMA.extend(
    {probatio.Required(ATTR_MESSAGE_IDS): probatio.All(cv.ensure_list, [cv.string])}
)
NORMALIZE_NUMBER_SCHEMA = ENTRY_SCHEMA.extend({probatio.Required(ATTR_NUMBER): cv.string})
GET_HISTORY_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
    }
)
GROUP_SCHEMA = ENTRY_SCHEMA.extend({probatio.Required(ATTR_GROUP): cv.string})
RENAME_GROUP_SCHEMA = GROUP_SCHEMA.extend({probatio.Required(ATTR_NEW_NAME): cv.string})
CONTACT_FIELDS: dict[probatio.Marker, Any] = {
    probatio.Optional(ATTR_LAST_NAME): cv.string,
    probatio.Optional(ATTR_FIRST_NAME): cv.string,
    probatio.Optional(ATTR_COMPANY): cv.string,
    probatio.Optional(ATTR_BIRTHDAY): cv.date,
    **{probatio.Optional(variable): cv.string for variable in ATTR_VARIABLES},
}
ADD_CONTACT_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Required(ATTR_NUMBER): cv.string,
        probatio.Required(ATTR_GROUPS): probatio.All(
            cv.ensure_list, [cv.string], probatio.Length(min=1)
        ),
        **CONTACT_FIELDS,
    }
)
UPDATE_CONTACT_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Required(ATTR_NUMBER): cv.string,
        probatio.Optional(ATTR_NEW_NUMBER): cv.string,
        # 123-SMS changes a contact in one group at a time.
        probatio.Required(ATTR_GROUP): cv.string,
        **CONTACT_FIELDS,
    }
)
DELETE_CONTACT_SCHEMA = ENTRY_SCHEMA.extend(
    {
        probatio.Required(ATTR_NUMBER): cv.string,
        probatio.Optional(ATTR_GROUP): cv.string,
    }
)

type ActionHandler = Callable[
    [HomeAssistant, SmsGatewaysConfigEntry, ServiceCall], Awaitable[ServiceResponse]
]


@dataclass(frozen=True, slots=True)
class Action:
    """One action: its schema, what the provider needs to do it, and whether it answers only."""

    schema: probatio.Schema
    handler: ActionHandler
    capability: Capability | None = None
    response_only: bool = False


@contextmanager
def translate_errors(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, *, canceling: str | None = None
) -> Iterator[None]:
    """Raise the gateway errors of the block as translated Home Assistant errors."""
    try:
        yield
    except GatewayError as err:
        gateway = entry.runtime_data.gateway
        raise gateway_error(hass, entry, gateway, err, canceling=canceling) from err


def _check_capability(
    entry: SmsGatewaysConfigEntry, call: ServiceCall, capability: Capability | None
) -> None:
    """Refuse an action the entry's provider cannot do."""
    gateway = entry.runtime_data.gateway
    if capability is not None and not gateway.supports(capability):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="action_not_supported",
            translation_placeholders={"action": call.service, "provider": gateway.title},
        )


async def _send_sms(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    request = SendRequest.of(call.data[ATTR_RECIPIENTS], call.data[ATTR_MESSAGE], call.data)
    report = await entry.runtime_data.sending.async_send(request)
    response = report.as_response()
    for message in response["messages"]:
        # The id is for automations, the title for a person (this account or its fallback).
        sent_by = hass.config_entries.async_get_entry(message["sent_by"])
        message["sent_by_title"] = sent_by.title if sent_by is not None else None
    return response


async def _preview_sms(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    return preview(entry.runtime_data.gateway, call.data[ATTR_MESSAGE])


async def _cancel_sms(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    if ATTR_BATCH_ID in call.data:
        return await entry.runtime_data.sending.async_cancel_batch(call.data[ATTR_BATCH_ID])
    if ATTR_MESSAGE_ID not in call.data:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="cancel_what")
    message_id: str = call.data[ATTR_MESSAGE_ID]
    if entry.runtime_data.tracker.was_canceled(message_id):
        # Not asked again: 123-SMS.net would read a second cancel as a new send.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="already_canceled",
            translation_placeholders={"message_id": message_id},
        )
    with translate_errors(hass, entry, canceling=message_id):
        results = await entry.runtime_data.gateway.cancel([message_id])
    result = next((result for result in results if result.message_id == message_id), None)
    if result is not None and result.created is not None:
        # The provider made a new message instead (123-SMS reads a cancel as a send): it is
        # followed like any send, and its id is in the error, so that it can be cancelled.
        entry.runtime_data.sending.async_sent(result.created)
    if result is not None and result.canceled is None:
        # The answer does not say: it may have been cancelled, never "could not be".
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cancel_outcome_unknown",
            translation_placeholders={
                "message_id": message_id,
                "provider": entry.runtime_data.gateway.title,
                "error": result.error or "",
            },
        )
    if result is None or not result.canceled:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cancel_failed",
            translation_placeholders={
                "message_id": message_id,
                "error": (result.error if result else None) or "",
            },
        )
    entry.runtime_data.tracker.async_mark_canceled(message_id)
    return {"message_id": message_id, "canceled": True}


def _report(report: DeliveryReport) -> dict[str, Any]:
    return {
        "message_id": report.message_id,
        "recipient": report.recipient,
        "status": report.status.value,
        "provider_status": report.provider_status,
        "updated_at": report.updated_at.isoformat() if report.updated_at else None,
        "delivered_at": report.delivered_at.isoformat() if report.delivered_at else None,
    }


async def _get_delivery_status(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    with translate_errors(hass, entry):
        reports = await entry.runtime_data.gateway.get_delivery_status(call.data[ATTR_MESSAGE_IDS])
    for report in reports:
        # What the user asked for also moves the tracked message and the sensor along.
        entry.runtime_data.tracker.async_apply_report(report)
    return {"messages": [_report(report) for report in reports]}


async def _normalize_number(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    with translate_errors(hass, entry):
        number = await entry.runtime_data.gateway.normalize_number(call.data[ATTR_NUMBER])
    return {"number": number}


async def _get_history(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    start = local_datetime(call.data[ATTR_START])
    end = local_datetime(call.data[ATTR_END])
    if end < start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="end_before_start",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )
    with translate_errors(hass, entry):
        history = await entry.runtime_data.gateway.get_history(start, end)
    return {"messages": [item.to_dict() for item in history]}


async def _add_group(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    return await _on_group(hass, entry, call, entry.runtime_data.gateway.add_group)


async def _rename_group(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    with translate_errors(hass, entry):
        await entry.runtime_data.gateway.rename_group(
            call.data[ATTR_GROUP], call.data[ATTR_NEW_NAME]
        )
    return {"group": call.data[ATTR_NEW_NAME]}


async def _delete_group(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    return await _on_group(hass, entry, call, entry.runtime_data.gateway.delete_group)


async def _on_group(
    hass: HomeAssistant,
    entry: SmsGatewaysConfigEntry,
    call: ServiceCall,
    operation: Callable[[str], Awaitable[None]],
) -> ServiceResponse:
    """Add or delete the group the call names: the same errors, the same answer."""
    with translate_errors(hass, entry):
        await operation(call.data[ATTR_GROUP])
    return {"group": call.data[ATTR_GROUP]}


def _contact(data: dict[str, Any], number: str, groups: list[str]) -> Contact:
    birthday: date | None = data.get(ATTR_BIRTHDAY)
    first, second, third = (data.get(variable) for variable in ATTR_VARIABLES)
    return Contact(
        number=number,
        groups=tuple(groups),
        last_name=data.get(ATTR_LAST_NAME),
        first_name=data.get(ATTR_FIRST_NAME),
        company=data.get(ATTR_COMPANY),
        birthday=birthday,
        variables=(first, second, third),
    )


async def _add_contact(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    contact = _contact(dict(call.data), call.data[ATTR_NUMBER], call.data[ATTR_GROUPS])
    with translate_errors(hass, entry):
        await entry.runtime_data.gateway.add_contact(contact)
    return {"number": contact.number, "groups": list(contact.groups)}


async def _update_contact(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    number: str = call.data[ATTR_NUMBER]
    group: str = call.data[ATTR_GROUP]
    contact = _contact(dict(call.data), call.data.get(ATTR_NEW_NUMBER) or number, [group])
    with translate_errors(hass, entry):
        await entry.runtime_data.gateway.update_contact(number, contact)
    return {"number": contact.number, "group": group}


async def _delete_contact(
    hass: HomeAssistant, entry: SmsGatewaysConfigEntry, call: ServiceCall
) -> ServiceResponse:
    with translate_errors(hass, entry):
        await entry.runtime_data.gateway.delete_contact(
            call.data[ATTR_NUMBER], group=call.data.get(ATTR_GROUP)
        )
    return {"number": call.data[ATTR_NUMBER], "group": call.data.get(ATTR_GROUP)}


ACTIONS: dict[str, Action] = {
    SERVICE_SEND_SMS: Action(SEND_SMS_SCHEMA, _send_sms),
    SERVICE_CANCEL_SMS: Action(CANCEL_SMS_SCHEMA, _cancel_sms, Capability.CANCEL),
    SERVICE_PREVIEW_SMS: Action(PREVIEW_SMS_SCHEMA, _preview_sms, response_only=True),
    SERVICE_GET_DELIVERY_STATUS: Action(
        GET_DELIVERY_STATUS_SCHEMA,
        _get_delivery_status,
        Capability.DELIVERY_STATUS,
        response_only=True,
    ),
    SERVICE_NORMALIZE_NUMBER: Action(
        NORMALIZE_NUMBER_SCHEMA, _normalize_number, response_only=True
    ),
    SERVICE_GET_HISTORY: Action(
        GET_HISTORY_SCHEMA, _get_history, Capability.HISTORY, response_only=True
    ),
    SERVICE_ADD_GROUP: Action(GROUP_SCHEMA, _add_group, Capability.CONTACTS),
    SERVICE_RENAME_GROUP: Action(RENAME_GROUP_SCHEMA, _rename_group, Capability.CONTACTS),
    SERVICE_DELETE_GROUP: Action(GROUP_SCHEMA, _delete_group, Capability.CONTACTS),
    SERVICE_ADD_CONTACT: Action(ADD_CONTACT_SCHEMA, _add_contact, Capability.CONTACTS),
    SERVICE_UPDATE_CONTACT: Action(UPDATE_CONTACT_SCHEMA, _update_contact, Capability.CONTACTS),
    SERVICE_DELETE_CONTACT: Action(DELETE_CONTACT_SCHEMA, _delete_contact, Capability.CONTACTS),
}


async def _async_handle(action: Action, hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    async def _async_run(entry: SmsGatewaysConfigEntry) -> ServiceResponse:
        _check_capability(entry, call, action.capability)
        return await action.handler(hass, entry, call)

    # The entry the call names, waited for while it loads or reloads.
    return await async_send_through(hass, call.data[ATTR_CONFIG_ENTRY_ID], _async_run)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    for name, action in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_handle, action, hass),
            schema=action.schema,
            supports_response=(
                SupportsResponse.ONLY if action.response_only else SupportsResponse.OPTIONAL
            ),
        )
