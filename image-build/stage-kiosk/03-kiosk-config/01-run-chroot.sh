#!/bin/bash -e
chgrp -R kiosk /etc/xinyi-kiosk
