from rest_framework.routers import DefaultRouter

from details.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("customer-details", views.CustomerDetailsViewSet, basename="customer-details")

urlpatterns = router.urls
