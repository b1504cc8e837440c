from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/automation/", include("automation.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("automation.urls")),
]

# Unrouted URLs under /api/ answer JSON like the rest of the API (see the handlers).
handler404 = "automation.api.exception_handlers.api_aware_page_not_found"
handler500 = "automation.api.exception_handlers.api_aware_server_error"
