"""Tests of the provider simulator."""
