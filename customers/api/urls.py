from rest_framework.routers import DefaultRouter

from customers.api import relationship_managers, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("bank-accounts", views.BankAccountViewSet, basename="bank-account")
router.register("relationship-managers", relationship_managers.RelationshipManagerViewSet, basename="relationship-manager")

urlpatterns = router.urls
