"""The year report: figures for the ministry, as HTML and CSV, without personal data."""
