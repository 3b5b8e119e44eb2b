"""A local stand-in for the four SMS providers, for tests and for trying the integration."""
