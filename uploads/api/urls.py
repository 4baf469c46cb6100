from rest_framework.routers import DefaultRouter

from uploads.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("uploads", views.FileUploadViewSet, basename="upload")
router.register("upload-rows", views.UploadRowViewSet, basename="upload-row")

urlpatterns = router.urls
