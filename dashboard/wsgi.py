"""WSGI entry point for gunicorn: ``gunicorn dashboard.wsgi:server``."""

from dashboard.serving import served_app

server = served_app().server
