from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The newcomer's demo data (``manage.py seed_demo``).

    It fills every app through their services, so it sits above all of them:
    an app of its own at the top of the layers, instead of inside ``core``,
    which every app imports.
    """

    name = "demo"
    verbose_name = "Demo data"
