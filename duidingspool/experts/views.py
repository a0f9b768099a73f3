"""Expertise areas (admin) and, later, expert profiles."""

from flask import Blueprint

bp = Blueprint("experts", __name__)
