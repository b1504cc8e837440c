"""The enqueue baseline: a bare authenticated DRF view returning a constant.

Same authentication, permission and default throttle classes as every API view, and no
work of its own, so the difference with POST dialogue/generate is what generating costs.
"""
from rest_framework.response import Response
from rest_framework.views import APIView


class BaselineView(APIView):
    def post(self, request):
        return Response({"ok": True})
