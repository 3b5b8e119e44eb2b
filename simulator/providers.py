"""The provider modules the simulator serves."""

from __future__ import annotations

from .app import ProviderFactory
from .mobyt import MobytSim
from .netoxygen import NetOxygenSim
from .sms123 import Sms123Sim
from .smsfactor import SmsFactorSim

ALL_PROVIDERS: list[ProviderFactory] = [NetOxygenSim, SmsFactorSim, MobytSim, Sms123Sim]
