"""Constants of the SMS Gateways integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "sms_gateways"

PROVIDERS: Final = ("netoxygen", "smsfactor", "mobyt", "sms123")
"""The provider keys, in the order of the setup menu."""

# Config entry data
CONF_PROVIDER: Final = "provider"
CONF_API_URL: Final = "api_url"
CONF_SENDER: Final = "sender"
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
"""The Home Assistant Cloud URL of the entry's webhook, when it has one."""

# Options
CONF_MESSAGE_TYPE: Final = "message_type"
CONF_REGION: Final = "region"
CONF_SCAN_INTERVAL: Final = "scan_interval"
"""Minutes between two credit checks."""
CONF_LOW_CREDITS_THRESHOLD: Final = "low_credits_threshold"
CONF_TIME_ZONE: Final = "time_zone"
"""The IANA time zone of the provider's dates (no doc names one: each has an assumed default)."""

DEFAULT_SCAN_INTERVAL: Final = 60
MIN_SCAN_INTERVAL: Final = 5
MAX_SCAN_INTERVAL: Final = 1440
CONF_INBOUND_SCAN_INTERVAL: Final = "inbound_scan_interval"
"""Minutes between two polls for received SMS (Mobyt, while its webhook is not in use)."""
DEFAULT_INBOUND_SCAN_INTERVAL: Final = 1
MIN_INBOUND_SCAN_INTERVAL: Final = 1
MAX_INBOUND_SCAN_INTERVAL: Final = 60
DEFAULT_LOW_CREDITS_THRESHOLD: Final = 10
MESSAGE_TYPE_SMS_TOP: Final = "n"
MESSAGE_TYPE_SMS_DIRECT: Final = "l"
MESSAGE_TYPES: Final = (MESSAGE_TYPE_SMS_TOP, MESSAGE_TYPE_SMS_DIRECT)
"""Mobyt: n is SMS Top (custom sender), l is SMS Direct (fixed sender).

Lowercase, as Home Assistant wants selector option keys; the Mobyt adapter sends them as its
``N``/``L``, and actions still accept the uppercase letters."""

CONF_KEEP_TRYING: Final = "keep_trying"
"""Keep a send that never reached the provider in the outbox, and try it again."""
DEFAULT_KEEP_TRYING: Final = True
CONF_GIVE_UP_AFTER: Final = "give_up_after"
"""Minutes after which a message still in the outbox is given up."""
DEFAULT_GIVE_UP_AFTER: Final = 60
MIN_GIVE_UP_AFTER: Final = 1
MAX_GIVE_UP_AFTER: Final = 10080
CONF_FALLBACK_ENTRY_ID: Final = "fallback_entry_id"
"""Another account that sends when this one certainly could not."""
CONF_ASSIST: Final = "assist"
"""Answer a trusted contact's SMS with Assist (off by default)."""
CONF_ASSIST_AGENT: Final = "assist_agent"
"""The conversation agent that answers; Home Assistant's own by default."""
DEFAULT_ASSIST_AGENT: Final = "conversation.home_assistant"
"""Home Assistant's own agent (``conversation.HOME_ASSISTANT_AGENT``), named here so that the
config flow does not import the conversation integration."""
CONF_DAILY_LIMIT: Final = "daily_limit"
"""SMS parts an account may send a day (local days); 0 or none: no limit."""
LIVE_OPTIONS: Final = frozenset(
    {
        CONF_SENDER,
        CONF_MESSAGE_TYPE,
        CONF_KEEP_TRYING,
        CONF_GIVE_UP_AFTER,
        CONF_FALLBACK_ENTRY_ID,
        CONF_LOW_CREDITS_THRESHOLD,
        CONF_SCAN_INTERVAL,
        CONF_ASSIST,
        CONF_ASSIST_AGENT,
        CONF_DAILY_LIMIT,
    }
)
"""Options read at each use: saving them needs no reload."""

# Recipient subentries
SUBENTRY_RECIPIENT: Final = "recipient"
CONF_PHONE_NUMBER: Final = "phone_number"

# Action fields
ATTR_RECIPIENTS: Final = "recipients"
ATTR_MESSAGE: Final = "message"
ATTR_SENDER: Final = "sender"
ATTR_SEND_AT: Final = "send_at"
ATTR_FLASH: Final = "flash"
ATTR_MESSAGE_TYPE: Final = "message_type"
ATTR_BOOKMARK_URL: Final = "bookmark_url"
ATTR_TTS: Final = "tts"
ATTR_TEST: Final = "test"
ATTR_MESSAGE_ID: Final = "message_id"
ATTR_MESSAGE_IDS: Final = "message_ids"
ATTR_BATCH_ID: Final = "batch_id"
ATTR_NUMBER: Final = "number"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_GROUP: Final = "group"
ATTR_GROUPS: Final = "groups"
ATTR_NEW_NAME: Final = "new_name"
ATTR_NEW_NUMBER: Final = "new_number"
ATTR_LAST_NAME: Final = "last_name"
ATTR_FIRST_NAME: Final = "first_name"
ATTR_COMPANY: Final = "company"
ATTR_BIRTHDAY: Final = "birthday"
ATTR_VARIABLES: Final = ("variable_1", "variable_2", "variable_3")

ISSUE_NO_CREDITS: Final = "no_credits"
ISSUE_DAILY_LIMIT: Final = "daily_limit_reached"

# Events on the bus (fired by inbound SMS and delivery tracking)
EVENT_INBOUND_SMS: Final = f"{DOMAIN}_inbound_sms"
EVENT_DELIVERY_STATUS: Final = f"{DOMAIN}_delivery_status"

STORAGE_VERSION: Final = 1
