#!/bin/sh
# Coral images: packages installed during `docker build` must not try to
# start their services (there is no init system in the container).
exit 101
