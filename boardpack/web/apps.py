"""The web front as a Django application."""

from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "boardpack.web"
    label = "boardpack"
    verbose_name = "boardpack"
