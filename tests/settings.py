"""Settings for the test suite: `commons.settings` with DEBUG=1 chosen explicitly, as `make run` does.

DEBUG is off unless the environment says otherwise, and the suite relies on the local defaults that DEBUG
implies (the development secret, plain static storage without `collectstatic`, console e-mail, cookies
over http). Setting it in the environment, not in a settings attribute, means the subprocesses the tests
start (Celery workers, management commands) inherit it. Tests of production behaviour start their own
processes with DEBUG=0 (tests/test_settings_production.py, tests/test_production_serving.py).
pytest-django still runs each test with settings.DEBUG = False, as it always does.
"""

import os

os.environ.setdefault("DEBUG", "1")

from commons.settings import *  # noqa: E402,F403
