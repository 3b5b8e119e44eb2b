"""NetOxygen (Switzerland): XML-RPC over HTTPS, one endpoint for every method.

Every method takes ``user, pass`` first, positionally. Requests are built with the standard
library's ``xmlrpc.client.dumps`` and POSTed through ``transport.post`` (never the blocking
``ServerProxy``); replies are decoded by ``xml.loads_xmlrpc`` (bounded, DOCTYPE refused).

Numbers travel as international digits without ``+`` (``41791234567``), the form
``clean_number`` returns; dates as ``YYYY-MM-DD HH:MM:SS`` in Europe/Zurich.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
import logging
from typing import override
import xmlrpc.client
from zoneinfo import ZoneInfo

from . import transport
from .base import PreparedSms, SmsGateway
from .errors import (
    AuthenticationError,
    GatewayError,
    GatewayResponseError,
    InsufficientCreditsError,
    InvalidRecipientError,
)
from .models import (
    AccountInfo,
    Balance,
    CancelResult,
    Capability,
    DeliveryReport,
    DeliveryStatus,
    RecipientResult,
    SendResult,
)
from .numbers import e164_digits, from_provider
from .xml import excerpt, loads_xmlrpc

_LOGGER = logging.getLogger(__name__)

_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}

# The doc's "Error codes" table: what ``send_message`` answers for a refused recipient, and the
# ``sent_status`` of ``get_status``. Each maps to (text, normalised status); ``None`` for code 1
# (OK) means "look at ``last_status``".
ERROR_CODES: dict[int, tuple[str, DeliveryStatus | None]] = {
    1: ("OK", None),
    2: ("Gateway error", DeliveryStatus.FAILED),
    3: ("Message routing error", DeliveryStatus.FAILED),
    4: ("Message format error", DeliveryStatus.FAILED),
    5: ("Invalid destination number", DeliveryStatus.FAILED),
    6: ("Invalid source number (sender)", DeliveryStatus.FAILED),
    7: ("Empty message", DeliveryStatus.FAILED),
    8: ("Max message length exceeded", DeliveryStatus.FAILED),
    9: ("Pending: the message is scheduled", DeliveryStatus.SCHEDULED),
    10: ("Message canceled", DeliveryStatus.CANCELED),
}

# The doc's "Status codes" table: the ``last_status`` of ``get_status``.
STATUS_CODES: dict[int, tuple[str, DeliveryStatus]] = {
    1: ("Delivered to the recipient device", DeliveryStatus.DELIVERED),
    2: ("Delivered to the recipient network", DeliveryStatus.SENT),
    3: ("Message submitted", DeliveryStatus.SENT),
    4: ("Message error, delivery failed", DeliveryStatus.FAILED),
    5: ("Routing error, delivery failed", DeliveryStatus.FAILED),
    6: ("Message expired, delivery cancelled", DeliveryStatus.EXPIRED),
    7: ("Gateway error", DeliveryStatus.FAILED),
    8: ("Message in queue", DeliveryStatus.QUEUED),
    9: ("Message scheduled", DeliveryStatus.SCHEDULED),
}

# Fault codes are not documented, so a fault is classified by its text (English or French).
_AUTH_WORDS = ("auth", "password", "passwd", "login", "credential", "mot de passe", "identifi")
_CREDIT_WORDS = ("credit", "crédit", "solde", "balance")


def _fault_error(fault: xmlrpc.client.Fault) -> GatewayError:
    """Map an XML-RPC fault into the error tree, keeping its code and text."""
    text = str(fault.faultString)
    code = str(fault.faultCode)
    lowered = text.lower()
    if any(word in lowered for word in _CREDIT_WORDS):
        return InsufficientCreditsError(
            f"Not enough credits: {text}", provider_code=code, provider_message=text
        )
    if any(word in lowered for word in _AUTH_WORDS):
        return AuthenticationError(
            f"NetOxygen refused the credentials: {text}", provider_code=code, provider_message=text
        )
    return GatewayResponseError(
        f"NetOxygen answered a fault: {text}", provider_code=code, provider_message=text
    )


def _code(value: object) -> int | None:
    """A status or error code as an int, whether it came as an int or a string of digits."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def delivery_status(sent_status: int | None, last_status: int | None) -> DeliveryStatus:
    """The normalised status of a ``get_status`` row.

    An error code other than OK decides (a refusal, pending or canceled message); with OK the
    status code of the last notification decides, and none yet means the message is queued.
    """
    if sent_status is not None and sent_status != 1:
        entry = ERROR_CODES.get(sent_status)
        return (entry[1] if entry else None) or DeliveryStatus.UNKNOWN
    if last_status is None or last_status == 0:
        return DeliveryStatus.QUEUED if sent_status == 1 else DeliveryStatus.UNKNOWN
    status = STATUS_CODES.get(last_status)
    return status[1] if status else DeliveryStatus.UNKNOWN


def _status_report(
    message_id: str,
    sent: int | None,
    last: int | None,
    text: str,
    *,
    recipient: str | None = None,
    updated_at: datetime | None = None,
) -> DeliveryReport:
    """A report whose ``provider_status`` is ``"<sent>/<last> <text of the deciding code>"``."""
    status = delivery_status(sent, last)
    raw = f"{'' if sent is None else sent}/{'' if last is None else last}"
    text = text.strip()
    return DeliveryReport(
        message_id=message_id,
        status=status,
        provider_status=f"{raw} {text}" if text else raw,
        recipient=recipient,
        updated_at=updated_at,
        delivered_at=updated_at if status is DeliveryStatus.DELIVERED else None,
    )


def _item_text(value: object) -> str | None:
    """An id or code of a row as text; None when the row has none."""
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return text or None


def _refused(recipient: str, code: object) -> RecipientResult:
    """A recipient the provider refused, with an error code of its table (or none)."""
    number = _code(code)
    entry = ERROR_CODES.get(number) if number is not None else None
    status = entry[1] if entry else None
    if status is not DeliveryStatus.CANCELED:
        status = DeliveryStatus.FAILED
    error_code = _item_text(code)
    return RecipientResult(
        recipient=recipient,
        accepted=False,
        status=status,
        error=entry[0] if entry else f"Refused by NetOxygen (error {error_code or 'not given'})",
        error_code=error_code,
    )


class NetOxygenGateway(SmsGateway):
    """A NetOxygen account, spoken to in XML-RPC."""

    provider = "netoxygen"
    title = "NetOxygen"
    default_api_url = "https://sms.netoxygen.ch/api2/"
    default_region = "CH"
    timezone = ZoneInfo("Europe/Zurich")
    capabilities = frozenset(
        {
            Capability.BALANCE,
            Capability.ACCOUNT_STATUS,
            Capability.SCHEDULE,
            Capability.CANCEL,
            Capability.FLASH,
            Capability.DELIVERY_STATUS,
            Capability.REMOTE_NORMALIZE,
        }
    )
    # The doc gives no limit; ten concatenated GSM parts is what is refused locally.
    max_length = 1530

    # --- the wire --------------------------------------------------------------------------

    async def _call(self, method: str, *params: str | list[str]) -> object:
        """Call one XML-RPC method with the credentials first and return its single result.

        Raises:
            GatewayConnectionError: the request failed or may not have been answered.
            AuthenticationError, InsufficientCreditsError, GatewayResponseError: a fault.
            GatewayResponseError: the reply is not XML-RPC.
        """
        body = xmlrpc.client.dumps(
            (self._username, self._password, *params), method, allow_none=False
        )
        reply = await transport.post(
            self._session,
            self.api_url,
            data=body.encode("utf-8"),
            headers=_HEADERS,
            timeout=self._timeout,
        )
        try:
            result = loads_xmlrpc(reply.body)
        except xmlrpc.client.Fault as fault:
            raise _fault_error(fault) from fault
        if len(result) != 1:
            raise GatewayResponseError(
                f"NetOxygen answered {method} with {len(result)} values: {excerpt(reply.body)!r}"
            )
        # The doc's methods answer FALSE when they fail, which is how they refuse the user name
        # or password; only auth answers FALSE as its answer (validate_credentials reads it).
        if result[0] is False and method != "auth":
            raise AuthenticationError(
                f"NetOxygen answered FALSE to {method}: it refused the user name or password"
            )
        return result[0]

    def _unexpected(self, method: str, value: object) -> GatewayResponseError:
        return GatewayResponseError(f"Unexpected answer to {method}: {excerpt(repr(value))!r}")

    def _rows(self, method: str, value: object) -> list[list[object]]:
        """The array of arrays most methods answer."""
        if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
            raise self._unexpected(method, value)
        return value

    def _wire_date(self, when: datetime) -> str:
        return self.local_time(when).strftime(_DATE_FORMAT)

    def _read_date(self, value: object) -> datetime | None:
        """A date of a ``get_status`` row as an aware datetime (Zurich), or None."""
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and value.strip():
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                return None
        else:
            return None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.timezone)
        return moment.astimezone(self.timezone)

    # --- the calls -------------------------------------------------------------------------

    @override
    async def _send(self, prepared: PreparedSms) -> SendResult:
        """Send to every recipient in one ``send_message`` call.

        ``dest`` is always an array; a skipped optional argument is an empty string when a later
        one is given, and trailing ones are left out. Once the call is answered the SMS may have
        gone, so nothing in the answer is raised: a recipient it says nothing about is reported
        with an unknown outcome, never as safe to send again.
        """
        sms = prepared.sms
        optional: list[str] = [
            prepared.sender or "",
            self._wire_date(sms.send_at) if sms.send_at is not None else "",
            "flash" if sms.flash else "",
        ]
        while optional and not optional[-1]:
            optional.pop()
        dest = [e164_digits(number) for number in prepared.recipients]
        answer = await self._call("send_message", dest, sms.message, *optional)
        rows = self._rows_by_recipient(prepared.recipients, answer)
        scheduled = sms.send_at is not None and sms.send_at > datetime.now(UTC)
        results = tuple(
            self._recipient_result(recipient, rows.get(recipient), scheduled=scheduled)
            for recipient in prepared.recipients
        )
        if len(rows) != len(results):
            _LOGGER.warning(
                "NetOxygen's answer to send_message names %d of %d recipients: %s",
                len(rows),
                len(results),
                excerpt(repr(answer)),
            )
        return SendResult(messages=results, info=prepared.info)

    def _rows_by_recipient(
        self, recipients: Sequence[str], answer: object
    ) -> dict[str, list[object]]:
        """Each recipient's row of a ``send_message`` answer, found by its destination.

        The provider may write a destination as it was sent (``41792223344``) or in another form
        (``0792223344``, ``+41...``). Rows whose destination names no recipient are matched by
        position only when the answer has exactly one row per recipient.
        """
        rows = answer if isinstance(answer, list) else []
        by_digits = {e164_digits(recipient): recipient for recipient in recipients}
        found: dict[str, list[object]] = {}
        unmatched: list[object] = []
        for row in rows:
            key = self._destination_digits(row[0]) if isinstance(row, list) and row else None
            recipient = by_digits.get(key) if key else None
            if recipient is None or recipient in found or not isinstance(row, list):
                unmatched.append(row)
            else:
                found[recipient] = row
        if unmatched and len(rows) == len(recipients):
            missing = [recipient for recipient in recipients if recipient not in found]
            found.update(
                (recipient, row)
                for recipient, row in zip(missing, unmatched, strict=True)
                if isinstance(row, list)
            )
        return found

    def _destination_digits(self, destination: object) -> str | None:
        """A destination the provider wrote, as international digits (national read as ours)."""
        if isinstance(destination, bool) or not isinstance(destination, str | int):
            return None
        number = from_provider(str(destination), self.region)
        digits = "".join(char for char in number if char.isdigit())
        if not number.startswith("+"):
            digits = digits.removeprefix("00")
        return digits or None

    def _recipient_result(
        self, recipient: str, row: list[object] | None, *, scheduled: bool
    ) -> RecipientResult:
        """Read one row ``[destination, status, id or error code]``.

        The status is 1 or TRUE (sent), 9 (scheduled), another code of the error table (that
        refusal), or 0 or FALSE with the error code as the third item.
        """
        status = _code(row[1]) if row is not None and len(row) > 1 else None
        third = row[2] if row is not None and len(row) > 2 else None
        if status in (1, 9):
            return RecipientResult(
                recipient=recipient,
                accepted=True,
                # Without an id the message went out but cannot be followed.
                message_id=_item_text(third),
                status=DeliveryStatus.SCHEDULED
                if status == 9 or scheduled
                else DeliveryStatus.QUEUED,
            )
        if status == 0:
            return _refused(recipient, third)
        if status in ERROR_CODES:
            return _refused(recipient, status)
        return RecipientResult(
            recipient=recipient,
            accepted=False,
            status=DeliveryStatus.UNKNOWN,
            error=(
                "NetOxygen's answer does not say what became of this recipient; the message "
                "may have been sent, so it is not sent again"
            ),
            error_code=_item_text(row[1]) if row is not None and len(row) > 1 else None,
        )

    @override
    async def validate_credentials(self) -> AccountInfo:
        """Check the credentials with ``auth``, then read the group id and account status.

        Returns:
            The account, its status (``regular`` or ``free``) and its group id.

        Raises:
            AuthenticationError: the provider refused the credentials.
            GatewayConnectionError: the provider could not be reached.
        """
        accepted = _code(await self._call("auth"))
        if accepted == 0:
            raise AuthenticationError("NetOxygen refused the user name or password")
        if accepted != 1:
            raise GatewayResponseError("Unexpected answer to auth")
        group_id = await self._call("get_guid")
        return AccountInfo(
            account_id=self.account_id,
            status=await self.get_account_status(),
            group_id=str(group_id),
        )

    @override
    async def get_balance(self) -> Balance:
        """The credits left, from ``get_credits`` (negative when the account allows it).

        Raises:
            AuthenticationError: the provider refused the credentials.
        """
        value = await self._call("get_credits")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self._unexpected("get_credits", value)
        try:
            return Balance(total=float(value))
        except ValueError:
            raise self._unexpected("get_credits", value) from None

    @override
    async def get_account_status(self) -> str:
        """The account's status, ``regular`` or ``free``, from ``account_status``.

        Raises:
            AuthenticationError: the provider refused the credentials.
        """
        value = await self._call("account_status")
        if not isinstance(value, str):
            raise self._unexpected("account_status", value)
        return value.strip()

    @override
    async def cancel(self, message_ids: Sequence[str]) -> list[CancelResult]:
        """Cancel scheduled messages with one ``cancel_message`` call.

        Returns:
            One result per id, in the order the provider answered.
        """
        if not message_ids:
            return []
        ids = [str(message_id) for message_id in message_ids]
        rows = self._rows("cancel_message", await self._call("cancel_message", ids))
        results: list[CancelResult] = []
        for row in rows:
            if len(row) < 2:
                raise self._unexpected("cancel_message", row)
            canceled = _code(row[1]) == 1
            results.append(
                CancelResult(
                    message_id=str(row[0]),
                    canceled=canceled,
                    error=None if canceled else "Not a scheduled message of this account",
                )
            )
        return results

    @override
    async def get_delivery_status(self, message_ids: Sequence[str]) -> list[DeliveryReport]:
        """The delivery status of messages, with one ``get_status`` call.

        ``provider_status`` is ``"<sent_status>/<last_status>"`` followed by the provider's
        text of the code that decided the normalised status.
        """
        if not message_ids:
            return []
        ids = [str(message_id) for message_id in message_ids]
        rows = self._rows("get_status", await self._call("get_status", ids))
        return [self._report(row) for row in rows]

    def _report(self, row: list[object]) -> DeliveryReport:
        """Read one row: ``[id, {from, to, sent_status, ...}]`` or ``[id, sent, last]``.

        The doc only says a row gives "error code and status code"; public clients show the
        first form, and a row of the two bare codes is read as well.
        """
        if len(row) < 2:
            raise self._unexpected("get_status", row)
        message_id = str(row[0])
        details = row[1]
        if isinstance(details, dict):
            return self._report_of_details(message_id, details)
        sent = None if isinstance(details, bool) else _code(details)
        if sent is None or len(row) < 3:
            # An id the provider does not know (or not of this account).
            return DeliveryReport(
                message_id=message_id,
                status=DeliveryStatus.UNKNOWN,
                provider_status=f"not found ({details!r})",
            )
        last = _code(row[2])
        if sent != 1:
            text = ERROR_CODES.get(sent, ("", None))[0]
        else:
            text = STATUS_CODES.get(last or 0, ("", DeliveryStatus.UNKNOWN))[0]
        return _status_report(message_id, sent, last, text)

    def _report_of_details(self, message_id: str, details: dict[str, object]) -> DeliveryReport:
        sent = _code(details.get("sent_status"))
        last = _code(details.get("last_status"))
        deciding = "sent_status_text" if sent not in (None, 1) else "last_status_text"
        updated_at = self._read_date(details.get("last_date")) or self._read_date(
            details.get("sent_date")
        )
        recipient = details.get("to")
        return _status_report(
            message_id,
            sent,
            last,
            str(details.get(deciding) or ""),
            recipient=from_provider(str(recipient), self.region) if recipient else None,
            updated_at=updated_at,
        )

    @override
    async def normalize_number(self, number: str) -> str:
        """Ask ``clean_number`` for the provider's form of a number.

        Returns:
            The number in E.164 (``+41223648000``).

        Raises:
            InvalidRecipientError: the provider could not make a number of it.
        """
        value = await self._call("clean_number", number)
        # "Returns: a number": XML-RPC may carry it as a string, an int (i4, i8) or a double.
        if isinstance(value, float) and value.is_integer():
            cleaned = f"{value:.0f}"
        elif isinstance(value, int) and not isinstance(value, bool):
            cleaned = str(value)
        else:
            cleaned = value.strip() if isinstance(value, str) else ""
        digits = cleaned.removeprefix("+")
        if not digits.isdigit() or digits.startswith("0"):
            raise InvalidRecipientError(f"Invalid phone number: {number}", number=number)
        return f"+{digits}"
