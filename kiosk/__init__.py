"""Xinyi Kiosk (信易自助核验终端): the application that runs on the device."""

__version__ = "0.1.0"
