"""The release this client belongs to. One number for all of: `theta-console --version`
(Sources/ThetaConsole/ThetaConsoleVersion.swift), this package's and so the wheel's version, and
docs/openapi.yaml's `info.version`. tests/test_version.py checks them; clients/python/wheel/build
refuses to pack a wheel whose binary says otherwise."""

__version__ = "0.3.0"
