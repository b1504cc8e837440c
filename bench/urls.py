"""The product's URLs plus the baseline view, for the benchmark only."""
from django.urls import path

from bench.views import BaselineView
from storycore.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("bench/baseline", BaselineView.as_view(), name="bench-baseline"), *product_urlpatterns]
