# Coral notebook node: the server's token comes from the file named by
# $JUPYTER_TOKEN_FILE (bind-mounted by Coral at /run/coral/notebook-token).
#
# Notebook 6.4.12 would read that file itself, but verbatim: a trailing
# newline would become part of the token, and an empty file would disable
# authentication. Read it here instead, strip it, and refuse to start without
# a usable token.
import os
import sys

_path = os.environ.get("JUPYTER_TOKEN_FILE")
if _path:
    try:
        with open(_path) as _f:
            _token = _f.read().strip()
    except OSError as _e:
        sys.exit(f"coral: cannot read the notebook token file {_path}: {_e.strerror}")
    if not _token:
        sys.exit(f"coral: the notebook token file {_path} is empty; refusing to run without authentication")
    c.NotebookApp.token = _token  # noqa: F821 (c is provided by Jupyter)
