"""Settings of the `manage.py run_deadlines` subprocess that the kill -9 test starts: the test
settings with small deadline-job batches, so a kill lands between two committed batches."""

import os

from config.settings.test import *  # noqa: F403

DEADLINE_JOB_BATCH_SIZE = int(os.environ.get("DEADLINE_JOB_BATCH_SIZE", "200"))
