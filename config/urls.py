from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from core.api.index import ApiIndexView
from core.api.views import HealthView

# Every app's admin.py, registered before admin.site.urls is read below (the
# admin app does not autodiscover at start-up: core.adminconfig.LazyAdminConfig).
admin.autodiscover()

api_v1 = [
    path("", ApiIndexView.as_view(), name="root"),
    path("", include("customers.api.urls")),
    path("", include("details.api.urls")),
    path("", include("statements.api.urls")),
    # Before debts: /reports/aging/ is the portfolio report now (it answers the
    # older group_by/cluster form itself, through debts' view).
    path("", include("reports.api.urls")),
    path("", include("debts.api.urls")),
    path("", include("uploads.api.urls")),
    path("", include("calls.api.urls")),
    path("", include("workbench.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script=):
    # no inline script, so it works under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # Our template: drf-spectacular's, without the Google Fonts links (offline).
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"), name="api-redoc"),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("", include("calls.urls")),
    # The collector's workbench pages: /queue/ and /customers/<id>/.
    path("", include("workbench.urls")),
    path("", include("statements.urls")),
    path("", include("reports.urls")),
    path("", include("core.urls")),
]

# Database trouble raised outside a view (a middleware's query) is a 503 with
# Retry-After, like trouble inside one (core.dbtrouble).
handler500 = "core.dbtrouble.server_error"

admin.site.site_header = "CreditDesk back office"
admin.site.site_title = "CreditDesk"
admin.site.index_title = "Operations"
