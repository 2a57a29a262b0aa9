"""gunicorn settings: `gunicorn -c config/gunicorn.py` (production) and `make run` (the demo).

Every value can be changed through the environment; see README "Configuration".
DJANGO_SETTINGS_MODULE defaults to config.settings.production (config/wsgi.py).
"""

import os

wsgi_app = "config.wsgi:application"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request holds one worker; a 20 MB upload on a slow line holds it too, so
# put a buffering reverse proxy (nginx) in front in production.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded.
max_requests = 1000
max_requests_jitter = 100
# X-Forwarded-Proto from these addresses is trusted (SECURE_PROXY_SSL_HEADER in production).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# gunicorn's control socket (gunicornc) only where asked for: its default path under $HOME is
# shared by every gunicorn of the user.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the heartbeat file; a disk-backed /tmp can stall it
