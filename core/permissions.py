from rest_framework.permissions import BasePermission, DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions, with reads requiring ``view_<model>``.

    DRF's stock class lets any authenticated user read; at a lender, reading
    a customer's debts is itself a permission.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }


def holds_any(*perms: str) -> type[BasePermission]:
    """A DRF permission class: the user holds at least one of ``perms``.

    For an action whose service checks the exact right itself: asking here
    first answers a user who can never do it with a 403 before the body is
    read, so a refusal does not depend on whether the body was valid."""

    class HoldsAny(BasePermission):
        message = f"You need the {' or '.join(perms)} permission."

        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and any(user.has_perm(perm) for perm in perms))

    HoldsAny.__name__ = HoldsAny.__qualname__ = "Holds_" + "_or_".join(p.replace(".", "_") for p in perms)
    return HoldsAny
