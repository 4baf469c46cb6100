from django.apps import AppConfig
from django.db.models.signals import pre_delete


def _refuse_payment_delete(sender, instance, **kwargs):
    from debts.services import payment_check_deletable  # noqa: PLC0415 - services import models, loaded after the registry

    payment_check_deletable(payment=instance)


def _refuse_debt_delete(sender, instance, **kwargs):
    from debts.services import debt_check_deletable  # noqa: PLC0415 - services import models, loaded after the registry

    debt_check_deletable(debt=instance)


class DebtsConfig(AppConfig):
    # The package is "debts", not "collections": a top-level package named
    # collections is shadowed by the standard library (see README).
    name = "debts"
    label = "debts"
    verbose_name = "Collections"

    def ready(self):
        # The model-level guard behind every door: even a shell's
        # queryset.delete() asks the services' rule (it sends pre_delete per
        # row) and is refused with the service's message.
        pre_delete.connect(_refuse_payment_delete, sender="debts.Payment", dispatch_uid="debts.refuse_payment_delete")
        pre_delete.connect(_refuse_debt_delete, sender="debts.Debt", dispatch_uid="debts.refuse_debt_delete")
