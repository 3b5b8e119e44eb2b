"""Tests of the gateways client library (no Home Assistant)."""
