"""JSON API for requests."""
