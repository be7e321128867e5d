"""Dashboards read the other apps' tables; they own none."""
