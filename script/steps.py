"""What script/compat and script/e2e share: JSON over HTTP on the loopback, and waiting for a state.

Standard library only, so that script/compat runs it with the project's .venv whatever release of
Home Assistant is tested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
import time
from typing import Any
import urllib.parse
import urllib.request


class StepError(AssertionError):
    """What a user would see as wrong, in words."""


@dataclass(frozen=True, slots=True)
class Steps:
    """The two helpers, with the timeout the script was given."""

    timeout: float

    def exchange(
        self,
        method: str,
        url: str,
        data: Any = None,
        *,
        token: str | None = None,
        form: bool = False,
        timeout: float | None = None,
    ) -> tuple[int, str, bytes]:
        """The status, content type and body of one request; HTTPError on a status >= 400."""
        headers = {}
        body = None
        if data is not None:
            if form:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:  # noqa: S310 (loopback)
            return response.status, response.headers.get("Content-Type", ""), response.read()

    def call(self, method: str, url: str, data: Any = None, **options: Any) -> Any:
        """The decoded JSON answer of one request (None if empty); options as ``exchange``."""
        text = self.exchange(method, url, data, **options)[2].decode()
        return json.loads(text) if text else None

    def until[T](self, what: str, probe: Callable[[], T | None], seconds: float | None = None) -> T:
        """Poll probe (every 0.25 s) until it gives a value; StepError naming what never came."""
        seconds = self.timeout if seconds is None else seconds
        deadline = time.monotonic() + seconds
        while True:
            value = probe()
            if value is not None and value is not False:
                return value
            if time.monotonic() > deadline:
                raise StepError(f"after {seconds:.0f} s: {what}")
            time.sleep(0.25)
