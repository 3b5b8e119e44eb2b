"""Tests of the Home Assistant side of the integration, against the simulator."""
