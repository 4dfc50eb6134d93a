"""The release this client belongs to: the same string as `theta-console --version`."""

__version__ = "0.3.0"
