"""Run the simulator: ``python -m simulator --port 8900``."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from . import app as app_module
from .app import Simulator
from .providers import ALL_PROVIDERS
from .state import EXPIRING_SUFFIX, FAILING_SUFFIX, REFUSED_SUFFIX

PATHS = """\
Provider endpoints (use http://HOST:PORT/<prefix> as the integration's api_url):
  netoxygen  /netoxygen/api2/            XML-RPC: send_message, auth, get_credits, account_status,
                                         get_guid, clean_number, get_status, cancel_message
  smsfactor  /smsfactor/API/             apiV2.php (send), getDr.php (delivery reports);
                                         pushes <inbox> XML (form field XML=) to a webhook
  mobyt      /mobyt/                     Mobyt/SENDSMS, Mobyt/SMSSTATUS, Mobyt/REMOVE_DELAYED,
                                         Mobyt/SMSHISTORY, Mobyt/CREDITS, OESRs/SRNEWMESSAGES,
                                         OESRs/SRHISTORY, OESRs/SRHISTORYBYID; pushes inbound
                                         and status reports as form posts to a webhook
  sms123     /sms123/api/                send/, solde/, group/{{add,upd,del}}/,
                                         contact/{{add,upd,del}}/

Recipients whose number ends in {refused} are refused as invalid; in {failing}, accepted then
fail; in {expiring}, accepted then expire; any other is delivered. Messages move one step
(queued -> sent -> final) each --step-seconds, or on POST /_control/advance.
"""


def _epilog(sim: Simulator) -> str:
    accounts = "\n".join(
        f"  {account.provider:10} {account.username:24} {account.password:18} "
        f"credits={account.credits:g}"
        for account in sim.state.accounts.values()
    )
    paths = PATHS.format(refused=REFUSED_SUFFIX, failing=FAILING_SUFFIX, expiring=EXPIRING_SUFFIX)
    title = "Demo accounts (provider, username, password):"
    readings = sim.readings.help_text()
    return f"{paths}\n{title}\n{accounts}\n\n{readings}\n\n{app_module.__doc__}"


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve until interrupted."""
    sim = Simulator(ALL_PROVIDERS)
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A local stand-in for the NetOxygen, SMSFactor, Mobyt and 123-SMS gateways.",
        epilog=_epilog(sim),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8900, help="port to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--step-seconds",
        type=float,
        default=5.0,
        help="move messages along their lifecycle this often; 0 = only on /_control/advance "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="PROVIDER=URL",
        help="where a provider pushes inbound SMS and status reports (repeatable)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="PROVIDER.POINT=CHOICE",
        help="play another reading where a doc leaves a point open (repeatable; see below)",
    )
    args = parser.parse_args(argv)
    for item in args.variant:
        name, _, value = item.partition("=")
        try:
            sim.readings.choose(name, value, base=True)
        except ValueError as err:
            parser.error(str(err))
    sim.step_seconds = args.step_seconds
    for item in args.webhook:
        provider, _, url = item.partition("=")
        if provider not in sim.providers or not url:
            parser.error(f"--webhook wants PROVIDER=URL with a provider of {sorted(sim.providers)}")
        sim.webhooks[provider] = url
    logging.basicConfig(level=logging.INFO, format="%(asctime)s simulator %(message)s")
    print(f"SMS gateway simulator on http://{args.host}:{args.port}/", file=sys.stderr)  # noqa: T201
    web.run_app(sim.build_app(), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
