"""The kiosk's device key (config ``device_key``), read once at start-up for offline receipts.

The file is what ``kiosk keys new`` writes: PEM with ``Xinyi-Key-Kind: device`` and
``Xinyi-Device: <device id>`` before the block. The device it names must be this kiosk's
``device_id``: a receipt names its device, and a verifier checks the key belongs to it. The
published DEMO device key is refused unless the demo itself builds the config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.core.credentials.trust import key_id_of_public_key
from kiosk.core.key_files import declared_value
from kiosk.core.receipts.trust import DEVICE_HEADER
from kiosk.station.config import ConfigError, KioskConfig

if TYPE_CHECKING:
    from kiosk.session.receipts import DeviceReceipts


def device_receipts(config: KioskConfig) -> DeviceReceipts | None:
    """What signs offline receipts, None without a ``device_key``; ConfigError if unusable."""
    path = config.device_key
    if path is None:
        return None
    # Imported here: only a kiosk with a device key signs receipts, and an offline `kiosk
    # check` without one is a few ms quicker for not loading the key reader and the signer.
    from backend.keys import KINDS, KeyFileError, load_private_key, read_key_file
    from kiosk.session.receipts import DeviceReceipts

    try:
        key = load_private_key(path, KINDS["device"], allow_demo=config.allow_demo_keys)
        named = declared_value(read_key_file(path), DEVICE_HEADER)
    except KeyFileError as error:
        raise ConfigError(config.origin, "device_key", str(error)) from None
    if named != config.device_id:
        raise ConfigError(
            config.origin,
            "device_key",
            f"the key names device {named!r}, this kiosk is {config.device_id!r} "
            "(make its own with `kiosk keys new --device ID --out PREFIX`)",
        )
    return DeviceReceipts(key, key_id_of_public_key(key.public_key()), config.device_id)
