from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ShipmentsConfig(AppConfig):
    name = "shipments"

    def ready(self):
        from calista.db import fold_register

        # The consignee search folds accents in SQL (calista.db.Fold): SQLite needs the function on each connection.
        connection_created.connect(fold_register, dispatch_uid="calista_fold")
