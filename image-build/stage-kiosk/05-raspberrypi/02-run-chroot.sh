#!/bin/bash -e
# Last step on purpose: from the next boot on, / is a tmpfs overlay over the read-only root;
# only /var/lib/xinyi-kiosk (the XINYI-DATA partition) keeps what is written.
raspi-config nonint do_overlayfs 0
grep -q 'overlayroot=tmpfs' /boot/firmware/cmdline.txt
