#!/bin/bash -e
# Copy the wheels build.sh laid out (our xinyi_kiosk wheel, plus any operator wheelhouse).
install -d -m 0755 "${ROOTFS_DIR}/opt/xinyi-kiosk/wheels"
install -m 0644 files/wheels/*.whl "${ROOTFS_DIR}/opt/xinyi-kiosk/wheels/"
install -m 0644 files/README.md "${ROOTFS_DIR}/opt/xinyi-kiosk/README.md"
