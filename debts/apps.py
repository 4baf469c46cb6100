from django.apps import AppConfig


class DebtsConfig(AppConfig):
    # The package is "debts", not "collections": a top-level package named
    # collections is shadowed by the standard library (see README).
    name = "debts"
    label = "debts"
    verbose_name = "Collections"
