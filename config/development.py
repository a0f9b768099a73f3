"""Local development: `make run`."""

DEBUG = False
