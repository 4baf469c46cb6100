from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """The collector's workbench: the work queue page, the customer page and
    its timeline. No models of its own; it sits above ``calls`` in the layers
    so it may read every app (a customer's timeline has payments, contacts,
    calls, statements and uploads in it)."""

    name = "workbench"
    verbose_name = "Workbench"
