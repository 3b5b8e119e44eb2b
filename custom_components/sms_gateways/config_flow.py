"""Config flow: pick a provider, check the account, then options and recipients."""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import Any, override
import zoneinfo

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConfigEntrySelector,
    ConfigEntrySelectorConfig,
    ConversationAgentSelector,
    CountrySelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio
from yarl import URL

from .cloudhook import (
    async_create_cloudhook,
    async_entry_webhook_url,
    async_reachable_from_internet,
)
from .compose import default_sender
from .const import (
    CONF_API_URL,
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_CLOUDHOOK_URL,
    CONF_DAILY_LIMIT,
    CONF_FALLBACK_ENTRY_ID,
    CONF_GIVE_UP_AFTER,
    CONF_INBOUND_SCAN_INTERVAL,
    CONF_KEEP_TRYING,
    CONF_LOW_CREDITS_THRESHOLD,
    CONF_MESSAGE_TYPE,
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    CONF_REGION,
    CONF_SCAN_INTERVAL,
    CONF_SENDER,
    CONF_TIME_ZONE,
    DEFAULT_ASSIST_AGENT,
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_INBOUND_SCAN_INTERVAL,
    DEFAULT_KEEP_TRYING,
    DEFAULT_LOW_CREDITS_THRESHOLD,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    MAX_GIVE_UP_AFTER,
    MAX_INBOUND_SCAN_INTERVAL,
    MAX_SCAN_INTERVAL,
    MESSAGE_TYPE_SMS_DIRECT,
    MESSAGE_TYPE_SMS_TOP,
    MESSAGE_TYPES,
    MIN_GIVE_UP_AFTER,
    MIN_INBOUND_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    PROVIDERS,
    SUBENTRY_RECIPIENT,
)
from .gateways import (
    GATEWAYS,
    AccessDeniedError,
    AuthenticationError,
    Capability,
    GatewayConnectionError,
    GatewayError,
    GatewayResponseError,
    InvalidRecipientError,
    InvalidSenderError,
    SmsGateway,
    create_gateway,
)
from .gateways.numbers import to_e164
from .runtime import SmsGatewaysConfigEntry, entry_gateway
from .translated_errors import sender_error

_LOGGER = logging.getLogger(__name__)

USERNAME_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
)
PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECTION_ADVANCED = "advanced"
"""The folded section of the account forms that holds the API address."""

RECIPIENT_SCHEMA = probatio.Schema(
    {
        # A recipient's name is the subentry's title, and the notify entity's name.
        # pylint: disable-next=home-assistant-config-flow-name-field
        probatio.Required(CONF_NAME): TextSelector(),
        probatio.Required(CONF_PHONE_NUMBER): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="tel")
        ),
    }
)
REAUTH_SCHEMA = probatio.Schema({probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR})


def _account_schema(
    api_url: str,
    *,
    with_sender: bool,
    sender_required: bool = False,
    password_required: bool = True,
) -> probatio.Schema:
    """The credentials, a sender (required where the provider needs one), and the API address."""
    password_marker = probatio.Required if password_required else probatio.Optional
    schema: dict[probatio.Marker, Any] = {
        probatio.Required(CONF_USERNAME): USERNAME_SELECTOR,
        password_marker(CONF_PASSWORD): PASSWORD_SELECTOR,
    }
    if with_sender:
        marker = probatio.Required if sender_required else probatio.Optional
        schema[marker(CONF_SENDER)] = TextSelector()
    # Folded away: the documented address is the default, changed only to reach another server.
    schema[probatio.Required(SECTION_ADVANCED)] = section(
        probatio.Schema({probatio.Optional(CONF_API_URL, default=api_url): URL_SELECTOR}),
        {"collapsed": True},
    )
    return probatio.Schema(schema)


def _api_url(user_input: Mapping[str, Any], default: str) -> str:
    """The API address of the form's advanced section (the default when not given)."""
    advanced: Mapping[str, Any] = user_input.get(SECTION_ADVANCED) or {}
    return str(advanced.get(CONF_API_URL) or default)


def _valid_url(url: str) -> bool:
    try:
        parsed = URL(url)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


class SmsGatewaysConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one provider account."""

    VERSION = 1
    MINOR_VERSION = 3

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: SmsGatewaysConfigEntry) -> SmsGatewaysOptionsFlow:
        """The options of an account."""
        return SmsGatewaysOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: SmsGatewaysConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Recipients, each a notify entity."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which provider the account is at."""
        return self.async_show_menu(step_id="user", menu_options=list(PROVIDERS))

    async def async_step_netoxygen(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a NetOxygen account."""
        return await self._async_step_account("netoxygen", user_input)

    async def async_step_smsfactor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for an SMSFactor account."""
        return await self._async_step_account("smsfactor", user_input)

    async def async_step_mobyt(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a Mobyt account."""
        return await self._async_step_account("mobyt", user_input)

    async def async_step_sms123(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a 123-SMS.net account."""
        return await self._async_step_account("sms123", user_input)

    async def _async_step_account(
        self, provider: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Check the credentials with the provider, then create the entry."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            api_url = _api_url(user_input, GATEWAYS[provider].default_api_url)
            gateway = self._gateway(
                provider, user_input[CONF_USERNAME], user_input[CONF_PASSWORD], api_url
            )
            await self.async_set_unique_id(f"{provider}_{gateway.account_id}")
            self._abort_if_unique_id_configured()
            sender = user_input.get(CONF_SENDER, "").strip()
            if not _valid_url(api_url):
                errors["base"] = "invalid_api_url"
            elif sender and (refused := _sender_error(gateway, sender, placeholders)):
                errors[CONF_SENDER] = refused
            elif not sender and gateway.requires_sender:
                errors[CONF_SENDER] = "sender_missing"
            else:
                await _async_check_account(gateway, errors, placeholders)
            if not errors:
                data = {
                    CONF_PROVIDER: provider,
                    CONF_USERNAME: user_input[CONF_USERNAME].strip(),
                    CONF_PASSWORD: user_input[CONF_PASSWORD],
                    CONF_API_URL: api_url,
                    CONF_WEBHOOK_ID: webhook.async_generate_id(),
                }
                # The sender is not needed to connect: it is an option, changed in the options.
                options = {CONF_SENDER: sender} if sender else {}
                description: str | None = "no_push"
                if _pushes(gateway):
                    if cloudhook := await async_create_cloudhook(self.hass, data[CONF_WEBHOOK_ID]):
                        data[CONF_CLOUDHOOK_URL] = cloudhook
                    # The URL to paste; a local one is said to be out of the provider's reach.
                    reachable = async_reachable_from_internet(self.hass, data)
                    description = None if reachable else "local_only"
                return self.async_create_entry(
                    title=f"{gateway.title} {data[CONF_USERNAME]}",
                    data=data,
                    options=options,
                    description=description,
                    description_placeholders=_webhook_placeholders(self.hass, gateway, data),
                )
        schema = _account_schema(
            GATEWAYS[provider].default_api_url,
            with_sender=True,
            sender_required=GATEWAYS[provider].requires_sender,
        )
        return self.async_show_form(
            step_id=provider,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The provider refused the credentials: ask for the password again."""
        return await self._async_step_reauth(None)

    # One reauth and one reconfigure form per provider, named like the set-up forms, so that
    # each field says the provider's words (Mobyt's "Login", 123-SMS.net's API key).
    async def async_step_reauth_netoxygen(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new password for a NetOxygen account."""
        return await self._async_step_reauth(user_input)

    async def async_step_reauth_smsfactor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new password for an SMSFactor account."""
        return await self._async_step_reauth(user_input)

    async def async_step_reauth_mobyt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new password for a Mobyt login."""
        return await self._async_step_reauth(user_input)

    async def async_step_reauth_sms123(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new API key (or password) for a 123-SMS.net account."""
        return await self._async_step_reauth(user_input)

    async def _async_step_reauth(self, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """Check the new password with the provider."""
        entry: SmsGatewaysConfigEntry = self._get_reauth_entry()
        provider: str = entry.data[CONF_PROVIDER]
        errors: dict[str, str] = {}
        placeholders = {CONF_USERNAME: entry.data[CONF_USERNAME], CONF_NAME: entry.title}
        if user_input is not None:
            gateway = self._gateway(
                provider,
                entry.data[CONF_USERNAME],
                user_input[CONF_PASSWORD],
                entry.data[CONF_API_URL],
            )
            await _async_check_account(gateway, errors, placeholders)
            if not errors:
                return self._async_update_and_reload(
                    entry, {CONF_PASSWORD: user_input[CONF_PASSWORD]}, reason="reauth_successful"
                )
        return self.async_show_form(
            step_id=f"reauth_{provider}",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials (or the API address) of the same account."""
        return await self._async_step_reconfigure(user_input)

    async def async_step_reconfigure_netoxygen(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials of a NetOxygen account."""
        return await self._async_step_reconfigure(user_input)

    async def async_step_reconfigure_smsfactor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials of an SMSFactor account."""
        return await self._async_step_reconfigure(user_input)

    async def async_step_reconfigure_mobyt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials of a Mobyt login."""
        return await self._async_step_reconfigure(user_input)

    async def async_step_reconfigure_sms123(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the credentials of a 123-SMS.net account."""
        return await self._async_step_reconfigure(user_input)

    async def _async_step_reconfigure(self, user_input: dict[str, Any] | None) -> ConfigFlowResult:
        """Check the changed credentials; an empty password keeps the stored one."""
        entry: SmsGatewaysConfigEntry = self._get_reconfigure_entry()
        provider: str = entry.data[CONF_PROVIDER]
        errors: dict[str, str] = {}
        placeholders = {CONF_NAME: entry.title}
        if user_input is not None:
            api_url = _api_url(user_input, entry.data[CONF_API_URL])
            password = user_input.get(CONF_PASSWORD) or entry.data[CONF_PASSWORD]
            gateway = self._gateway(provider, user_input[CONF_USERNAME], password, api_url)
            await self.async_set_unique_id(f"{provider}_{gateway.account_id}")
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            if not _valid_url(api_url):
                errors["base"] = "invalid_api_url"
            else:
                await _async_check_account(gateway, errors, placeholders)
            if not errors:
                return self._async_update_and_reload(
                    entry,
                    {
                        CONF_USERNAME: user_input[CONF_USERNAME].strip(),
                        CONF_PASSWORD: password,
                        CONF_API_URL: api_url,
                    },
                    reason="reconfigure_successful",
                )
        schema = _account_schema(
            entry.data[CONF_API_URL],
            with_sender=False,
            password_required=False,
        )
        # The password is never shown back: left empty, the stored one stays.
        suggested = {
            CONF_USERNAME: entry.data[CONF_USERNAME],
            **{key: value for key, value in (user_input or {}).items() if key != CONF_PASSWORD},
        }
        return self.async_show_form(
            step_id=f"reconfigure_{provider}",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _gateway(self, provider: str, username: str, password: str, api_url: str) -> SmsGateway:
        return create_gateway(
            provider,
            async_get_clientsession(self.hass),
            username=username.strip(),
            password=password,
            api_url=api_url,
        )

    def _async_update_and_reload(
        self, entry: SmsGatewaysConfigEntry, data_updates: Mapping[str, Any], reason: str
    ) -> ConfigFlowResult:
        """Update the entry; a loaded one is reloaded by its update listener.

        The reason is always passed: without one Home Assistant shows its own generic text.
        """
        if entry.update_listeners:
            return self.async_update_and_abort(entry, data_updates=data_updates, reason=reason)
        return self.async_update_reload_and_abort(entry, data_updates=data_updates, reason=reason)


def _valid_time_zone(name: str | None) -> bool:
    """Whether ``name`` (None: the provider's default) is an IANA time zone."""
    if name is None:
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except zoneinfo.ZoneInfoNotFoundError, ValueError:
        return False
    return True


def _sender_error(gateway: SmsGateway, sender: str, placeholders: dict[str, str]) -> str | None:
    """The form's error for a sender the provider's doc does not allow, or None.

    Adds what the error says (the provider, its limit) to ``placeholders``.
    """
    try:
        gateway.validate_sender(sender)
    except InvalidSenderError as err:
        key, words = sender_error(err, {"provider": gateway.title})
        placeholders.update(words)
        return key
    return None


async def _async_check_account(
    gateway: SmsGateway, errors: dict[str, str], placeholders: dict[str, str]
) -> None:
    """Ask the provider whether the credentials work; say why not in ``errors``."""
    try:
        await gateway.validate_credentials()
    except AccessDeniedError as err:
        errors["base"] = "access_denied"
        placeholders["error"] = str(err)
    except AuthenticationError:
        errors["base"] = "invalid_auth"
    except GatewayConnectionError:
        errors["base"] = "cannot_connect"
    except GatewayResponseError as err:
        if err.provider_code is None and err.provider_message is None:
            # Not the provider's words (a proxy's page, a truncated reply): not reached.
            errors["base"] = "cannot_connect"
        else:
            _provider_refused(gateway, err, errors, placeholders)
    except GatewayError as err:
        _provider_refused(gateway, err, errors, placeholders)
    except Exception:
        _LOGGER.exception("Unexpected error checking the %s account", gateway.title)
        errors["base"] = "unknown"


def _provider_refused(
    gateway: SmsGateway, err: GatewayError, errors: dict[str, str], placeholders: dict[str, str]
) -> None:
    """A refusal in a form the provider's doc does not give: shown in the provider's words."""
    errors["base"] = "provider_refused"
    placeholders["provider"] = gateway.title
    placeholders["provider_error"] = _provider_words(err)


def _provider_words(err: GatewayError) -> str:
    """The provider's own code and words of ``err`` (our message when it has none)."""
    words = (err.provider_message or "").strip()
    code = (err.provider_code or "").strip()
    if words and code:
        return f"{code}: {words}"
    return words or (f"{code}: {err.message}" if code else err.message)


def _pushes(gateway: SmsGateway | type[SmsGateway]) -> bool:
    """Whether the provider pushes anything (received SMS, delivery reports) to the webhook."""
    return bool({Capability.INBOUND_PUSH, Capability.STATUS_PUSH} & gateway.capabilities)


def _receives(gateway: SmsGateway | type[SmsGateway]) -> bool:
    """Whether the provider delivers received SMS (pushed or polled): Assist can answer them."""
    return bool({Capability.INBOUND_PUSH, Capability.INBOUND_POLL} & gateway.capabilities)


def _webhook_placeholders(
    hass: HomeAssistant, gateway: SmsGateway | type[SmsGateway], data: Mapping[str, Any]
) -> dict[str, str]:
    """The provider and the webhook URL to paste in its console (a cloudhook if there is one)."""
    return {"provider": gateway.title, "webhook_url": async_entry_webhook_url(hass, data)}


class SmsGatewaysOptionsFlow(OptionsFlow):
    """Sender, message type, credit polling and the low-credits threshold."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and check the options in the form of the account's provider."""
        entry: SmsGatewaysConfigEntry = self.config_entry
        return await self._async_step_options(entry.data[CONF_PROVIDER], user_input)

    # One form per provider, so that each field says what is true of that provider (the sender
    # is required by SMSFactor only) and only a provider that pushes shows the webhook URL.
    async def async_step_netoxygen(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The options of a NetOxygen account."""
        return await self._async_step_options("netoxygen", user_input)

    async def async_step_smsfactor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The options of an SMSFactor account, with its webhook URL."""
        return await self._async_step_options("smsfactor", user_input)

    async def async_step_mobyt(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The options of a Mobyt account, with its webhook URL."""
        return await self._async_step_options("mobyt", user_input)

    async def async_step_sms123(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The options of a 123-SMS.net account."""
        return await self._async_step_options("sms123", user_input)

    async def _async_step_options(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        entry: SmsGatewaysConfigEntry = self.config_entry
        gateway = GATEWAYS[entry.data[CONF_PROVIDER]]
        errors: dict[str, str] = {}
        words: dict[str, str] = {}
        if user_input is not None:
            sender = user_input.get(CONF_SENDER, "").strip()
            message_type = user_input.get(CONF_MESSAGE_TYPE)
            if sender and (
                refused := _sender_error(entry_gateway(self.hass, entry), sender, words)
            ):
                errors[CONF_SENDER] = refused
            elif not sender and gateway.requires_sender:
                errors[CONF_SENDER] = "sender_missing"
            elif not sender and message_type == MESSAGE_TYPE_SMS_TOP:
                errors[CONF_SENDER] = "sender_required"
            elif not _valid_time_zone(user_input.get(CONF_TIME_ZONE)):
                errors[CONF_TIME_ZONE] = "invalid_time_zone"
            elif user_input.get(CONF_FALLBACK_ENTRY_ID) == entry.entry_id:
                errors[CONF_FALLBACK_ENTRY_ID] = "fallback_is_self"
            else:
                return self.async_create_entry(data={**user_input, CONF_SENDER: sender})

        sender_marker = probatio.Required if gateway.requires_sender else probatio.Optional
        schema: dict[probatio.Marker, Any] = {sender_marker(CONF_SENDER): TextSelector()}
        if Capability.MESSAGE_TYPE in gateway.capabilities:
            # SMS Top needs a sender; without one Mobyt sends with its fixed sender (SMS Direct).
            default_type = (
                MESSAGE_TYPE_SMS_TOP if default_sender(entry) else MESSAGE_TYPE_SMS_DIRECT
            )
            schema[probatio.Required(CONF_MESSAGE_TYPE, default=default_type)] = SelectSelector(
                SelectSelectorConfig(
                    options=list(MESSAGE_TYPES),
                    mode=SelectSelectorMode.LIST,
                    translation_key=CONF_MESSAGE_TYPE,
                )
            )
        schema[probatio.Optional(CONF_REGION)] = CountrySelector()
        # No provider's doc names the time zone of its dates: the default is an assumption.
        zones = await self.hass.async_add_executor_job(zoneinfo.available_timezones)
        schema[probatio.Required(CONF_TIME_ZONE, default=gateway.timezone.key)] = SelectSelector(
            SelectSelectorConfig(options=sorted(zones), mode=SelectSelectorMode.DROPDOWN)
        )
        if Capability.BALANCE in gateway.capabilities:
            schema[probatio.Required(CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL)] = (
                NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_SCAN_INTERVAL,
                        max=MAX_SCAN_INTERVAL,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                )
            )
        schema[
            probatio.Required(CONF_LOW_CREDITS_THRESHOLD, default=DEFAULT_LOW_CREDITS_THRESHOLD)
        ] = NumberSelector(NumberSelectorConfig(min=0, step=1, mode=NumberSelectorMode.BOX))
        if Capability.INBOUND_POLL in gateway.capabilities:
            schema[
                probatio.Required(CONF_INBOUND_SCAN_INTERVAL, default=DEFAULT_INBOUND_SCAN_INTERVAL)
            ] = NumberSelector(
                NumberSelectorConfig(
                    min=MIN_INBOUND_SCAN_INTERVAL,
                    max=MAX_INBOUND_SCAN_INTERVAL,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="min",
                )
            )
        # The outbox and the fallback account: where an alert goes when this account cannot send.
        schema[probatio.Required(CONF_KEEP_TRYING, default=DEFAULT_KEEP_TRYING)] = BooleanSelector()
        schema[probatio.Required(CONF_GIVE_UP_AFTER, default=DEFAULT_GIVE_UP_AFTER)] = (
            NumberSelector(
                NumberSelectorConfig(
                    min=MIN_GIVE_UP_AFTER,
                    max=MAX_GIVE_UP_AFTER,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="min",
                )
            )
        )
        schema[probatio.Optional(CONF_FALLBACK_ENTRY_ID)] = ConfigEntrySelector(
            ConfigEntrySelectorConfig(integration=DOMAIN)
        )
        # The spend guard: empty (or 0) is no limit.
        schema[probatio.Optional(CONF_DAILY_LIMIT)] = NumberSelector(
            NumberSelectorConfig(min=0, step=1, mode=NumberSelectorMode.BOX)
        )
        if _receives(gateway):
            # Answers from Assist, to trusted contacts only; it controls the exposed entities.
            schema[probatio.Required(CONF_ASSIST, default=False)] = BooleanSelector()
            schema[probatio.Required(CONF_ASSIST_AGENT, default=DEFAULT_ASSIST_AGENT)] = (
                ConversationAgentSelector()
            )
        suggested = {
            **entry.options,
            CONF_SENDER: default_sender(entry) or "",
            **(user_input or {}),
        }
        placeholders = {"provider": gateway.title}
        if _pushes(gateway):
            placeholders = _webhook_placeholders(self.hass, gateway, entry.data)
        placeholders = {**placeholders, **words}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(probatio.Schema(schema), suggested),
            errors=errors,
            description_placeholders=placeholders,
        )


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or edit a recipient: a name and a phone number."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a recipient."""
        return await self._async_step_recipient("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a recipient."""
        return await self._async_step_recipient("reconfigure", user_input)

    async def _async_step_recipient(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry: SmsGatewaysConfigEntry = self._get_entry()
        editing = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        errors: dict[str, str] = {}
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            region = (
                entry.options.get(CONF_REGION) or GATEWAYS[entry.data[CONF_PROVIDER]].default_region
            )
            try:
                number = to_e164(user_input[CONF_PHONE_NUMBER], region)
            except InvalidRecipientError:
                errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            else:
                if not name:
                    errors[CONF_NAME] = "empty_name"
                elif any(
                    subentry.unique_id == number
                    and subentry.subentry_type == SUBENTRY_RECIPIENT
                    and subentry is not editing
                    for subentry in entry.subentries.values()
                ):
                    return self.async_abort(reason="already_configured")
                elif editing is not None:
                    return self.async_update_and_abort(
                        entry,
                        editing,
                        title=name,
                        unique_id=number,
                        data={CONF_PHONE_NUMBER: number},
                        reason="reconfigure_successful",
                    )
                else:
                    return self.async_create_entry(
                        title=name, data={CONF_PHONE_NUMBER: number}, unique_id=number
                    )
        suggested = user_input
        if suggested is None and editing is not None:
            suggested = {CONF_NAME: editing.title, **editing.data}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(RECIPIENT_SCHEMA, suggested),
            errors=errors,
        )
