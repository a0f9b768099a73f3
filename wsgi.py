"""WSGI entry point for production servers, e.g. `gunicorn wsgi:app`."""

from duidingspool import create_app

app = create_app()
