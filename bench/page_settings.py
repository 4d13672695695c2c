"""The settings of the gunicorn that ``bench_pages`` starts: production's (``DEBUG=0`` from the
environment), with the collected static files in a folder of the run's own."""

import os
from pathlib import Path

from kabinet.settings import *  # noqa: F403

STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
