from django.apps import AppConfig


class CfsConfig(AppConfig):
    name = "cfs"
