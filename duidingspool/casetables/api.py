"""JSON API for case tables and their sessions."""
