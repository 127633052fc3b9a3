"""The Kivy touch screen: one .kv layout and one small class per screen, bound to the flow.

This package is the only place that imports Kivy. Import `kiosk.ui.env` and call
`configure_kivy()` before anything else from here, so Kivy never writes to ~/.kivy and the
window is made the way the kiosk needs it.
"""
