"""gunicorn settings for ``teamcar serve --workers N`` (the worker count comes from the command).

Threaded workers (``gthread``): a request that computes a view for seconds after new data does
not hold up the cheap ones (the live check every few seconds, cached views) queued behind it.
Each worker starts its warming thread once it is ready (``dashboard.serve.warm``).
"""

worker_class = "gthread"
threads = 4
timeout = 120  # a first view at the design sizes takes tens of seconds cold
graceful_timeout = 20
keepalive = 5


def post_worker_init(worker) -> None:  # noqa: ARG001 - gunicorn's hook signature
    """Start this worker's warming thread."""
    from dashboard.serve import warm

    warm.start()
