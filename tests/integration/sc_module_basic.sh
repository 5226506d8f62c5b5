#!/bin/sh
# sc_module.sh's meeting without the companion module: basic mode.
TT_NO_MODULE=1 exec sh "$(dirname "$0")/sc_module.sh"
