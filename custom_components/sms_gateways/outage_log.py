"""Logged once: a poller's provider stops answering, and answers again (as the coordinator does)."""

from __future__ import annotations

import logging

from .gateways import GatewayError, mask_numbers


class AvailabilityLog:
    """Say once that the provider stopped answering a poll, and once that it is back.

    A provider down for hours is polled hundreds of times: one warning when it stops, one info
    when it answers again, and the failures in between at debug level only.
    """

    def __init__(self, logger: logging.Logger, *, provider: str, what: str) -> None:
        """``what`` names what the poll reads (``delivery status``, ``received SMS``)."""
        self._logger = logger
        self._provider = provider
        self._what = what
        self.available = True

    def failed(self, err: BaseException) -> None:
        """A poll failed: the provider did not answer, or answered something unreadable."""
        # Our own words only: the error of the library (never the text of a message), or the
        # type of an unexpected error.
        reason = str(err) if isinstance(err, GatewayError) else type(err).__name__
        if not self.available:
            self._logger.debug("%s still not read from %s: %s", self._what, self._provider, reason)
            return
        self.available = False
        self._logger.warning(
            "%s is not answering: %s not read (%s); trying again later",
            self._provider,
            self._what,
            mask_numbers(reason),
        )

    def answered(self) -> None:
        """A poll succeeded."""
        if self.available:
            return
        self.available = True
        self._logger.info("%s is answering again: %s read", self._provider, self._what)
