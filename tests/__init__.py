"""Tests for the sms_gateways custom integration."""
