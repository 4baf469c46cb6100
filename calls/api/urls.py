from rest_framework.routers import DefaultRouter

from calls.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("calls", views.CallSessionViewSet, basename="call")

urlpatterns = router.urls
