from django.apps import AppConfig


class CustomsConfig(AppConfig):
    name = "customs"
