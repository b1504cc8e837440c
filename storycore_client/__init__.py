"""A Python client for StoryCore Automation: what the original TypeScript `automationService` did.

    from storycore_client import StoryCoreClient
    client = StoryCoreClient()  # $STORYCORE_URL, $STORYCORE_TOKEN
    enhanced = client.enhance_prompt(base_prompt="A knight in shining armor", style="fantasy")

Needs only `requests`; it does not import Django.
"""
from storycore_client.client import StoryCoreClient
from storycore_client.errors import (
    APIError,
    BadRequest,
    Conflict,
    ConnectionLost,
    ConnectionRefused,
    Forbidden,
    JobCancelled,
    JobError,
    JobFailed,
    JobWaitTimeout,
    NotFound,
    RateLimited,
    ServerError,
    StoryCoreError,
    Timeout,
    Unauthorized,
)

__all__ = [
    "StoryCoreClient",
    "StoryCoreError",
    "APIError",
    "BadRequest",
    "Conflict",
    "ConnectionLost",
    "ConnectionRefused",
    "Forbidden",
    "JobCancelled",
    "JobError",
    "JobFailed",
    "JobWaitTimeout",
    "NotFound",
    "RateLimited",
    "ServerError",
    "Timeout",
    "Unauthorized",
]
