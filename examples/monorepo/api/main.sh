#!/bin/sh
echo "api running on $(cat /opt/shared/VERSION)"
