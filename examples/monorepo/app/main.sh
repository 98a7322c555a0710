#!/bin/sh
echo "app running on $(cat /opt/shared/VERSION)"
