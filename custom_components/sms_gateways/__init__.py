"""The SMS Gateways integration."""
