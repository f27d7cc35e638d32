"""WSGI entry point for gunicorn: ``gunicorn dashboard.serve.wsgi:server``."""

from dashboard.serve.server import served_app

server = served_app().server
