"""gunicorn settings: ``teamcar serve`` and ``teamcar demo`` always run gunicorn (one worker by
default; ``--workers N`` and ``--bind`` come from the command, see ``dashboard.cli.main``).

Threaded workers (``gthread``): a request that computes a view for seconds after new data does
not hold up the cheap ones (the live check every few seconds, cached views) queued behind it.
Each worker starts its warming thread before it takes requests and waits, 15 s at most, until it
has warmed the data that is there (``dashboard.serve.warm``).

Timeouts: ``timeout`` is how long a worker may go without telling the master it is alive before
it is restarted (a threaded worker keeps telling it while its threads compute, so this bounds a
stuck worker, not a slow view; loading the app at boot counts too); ``graceful_timeout`` is how
long a stopping or restarting worker may finish its requests; ``keepalive`` how long an idle
browser connection is kept for the next request (the poll comes every few seconds).
The access log is off (``--access-log`` turns it on, to standard output); errors and gunicorn's
own messages go to standard error.
"""

from loaders.config import load_config

worker_class = "gthread"
threads = 4
timeout = 120  # a first view at the design sizes takes tens of seconds cold
graceful_timeout = 20
keepalive = 5
accesslog = None  # off; teamcar serve --access-log passes --access-logfile -
# No control socket (gunicorn 25.1+ opens one at a fixed path in the home folder): several Team
# Car servers on one machine (tests, benchmarks, two stores) would contend for the same path.
control_socket_disable = True
# X-Forwarded-Proto (https behind a TLS-terminating proxy) is believed from the same proxies
# whose X-Forwarded-For and sign-on header Team Car believes (TEAMCAR_TRUSTED_PROXIES).
forwarded_allow_ips = ",".join(str(net) for net in load_config().trusted_proxies)


def post_worker_init(worker) -> None:  # noqa: ARG001 - gunicorn's hook signature
    """Start this worker's warming thread and wait (``warm.READY_WAIT_SECONDS`` at most) until
    it has warmed: gunicorn calls this before the worker takes its first request."""
    from dashboard.serve import warm

    warm.start(ready_wait=warm.READY_WAIT_SECONDS)
