"""StoryCore settings: every value that changes between machines comes from the environment.

The README lists each variable. The embedded default needs none of them: SQLite in WAL
mode and django-q2's ORM broker. DATABASE_URL and REDIS_URL switch to PostgreSQL and
the Redis broker without code changes.
"""
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from storycore.env import envbool, envchoice, envfloat, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("STORYCORE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (`make run` writes one to "
            "var/secret_key), or set DEBUG=true for a throwaway development key."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "automation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "storycore.urls"
WSGI_APPLICATION = "storycore.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite: WAL lets readers run beside the one writer; IMMEDIATE transactions take the
# write lock at BEGIN, so two writers queue on the busy timeout instead of one failing
# with "database is locked" when it upgrades a read lock mid-transaction.
SQLITE_PATH = VAR_DIR / "storycore.sqlite3"
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with write transactions queued on a file lock (storycore/sqlite).
    DATABASES["default"]["ENGINE"] = "storycore.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("STORYCORE_SQLITE_BUSY_TIMEOUT", 30, minimum=1),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Keep connections open between requests and tasks, as for PostgreSQL: closing the last
    # connection to a WAL database checkpoints it, and django-q2's ORM broker closes "old"
    # connections at every enqueue, which cost each job-creating POST ~10 ms (BENCHMARKS.md).
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Worker subprocesses in the tests open the test database by path, so it must be a
    # file, never pytest-django's default in-memory database.
    DATABASES["default"]["TEST"] = {
        "NAME": envstr("STORYCORE_SQLITE_TEST_PATH", str(VAR_DIR / "test-storycore.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also where django-q2 clusters publish their status for `health`) -----------
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL and "socket_timeout" not in REDIS_URL:
    # Without timeouts, an unreachable Redis host (not a refused port) would hang a web
    # request until the OS gives up; with them, the job is kept and dispatched later.
    REDIS_URL += ("&" if "?" in REDIS_URL else "?") + "socket_connect_timeout=3&socket_timeout=10"
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by the web server and every worker process on this machine
    # without adding writes to SQLite (django-q2 saves cluster stats every half second).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Job engine (django-q2) ---------------------------------------------------------------
STORYCORE_JOB_TIMEOUT = envint("STORYCORE_JOB_TIMEOUT", 600, minimum=5)
STORYCORE_WORKERS = envint("STORYCORE_WORKERS", 2, minimum=1)
Q_CLUSTER = {
    "name": envstr("STORYCORE_CLUSTER_NAME", "storycore"),
    "workers": STORYCORE_WORKERS,
    # A task running longer than this is killed by the cluster; its job is then recovered
    # by the lease check below and retried as a transient failure.
    "timeout": STORYCORE_JOB_TIMEOUT,
    # The ORM broker re-delivers a task not acknowledged after `retry` seconds. It must be
    # above `timeout`, otherwise tasks are "retriggered before completion". A duplicate
    # delivery is harmless anyway: the job claim is a compare-and-set.
    "retry": STORYCORE_JOB_TIMEOUT + 60,
    # Our task never raises (it records failures on the job), and retries are the job
    # engine's business: django-q2 must never re-run a task by itself.
    "max_attempts": 1,
    "ack_failures": True,
    # django-q2 does not record successful tasks: every job records its own attempts, and
    # on SQLite that record (and django-q2's pruning of it) was a write per task that held
    # up the workers. Failed tasks (a crash outside the job engine) are still saved.
    "save_limit": envint("STORYCORE_Q_SAVE_LIMIT", -1, minimum=-1),
    # Run missed schedules once, not once per missed interval, after downtime.
    "catch_up": False,
    "poll": envfloat("STORYCORE_BROKER_POLL", 0.2, minimum=0.01),
    "label": "Task queue (django-q2)",
    "orm": None if REDIS_URL else "default",
    "redis": REDIS_URL or None,
}
if not REDIS_URL:
    del Q_CLUSTER["redis"]
    # django-q2's ORM queue, and the job table read as a queue: a new job is its own
    # message, with no queue row to write (automation/broker.py).
    Q_CLUSTER["broker_class"] = "automation.broker.JobTableBroker"
else:
    del Q_CLUSTER["orm"]

# Retries: full-jitter exponential backoff, delay = random(0, min(cap, base * 2**n)).
STORYCORE_RETRY_BACKOFF_BASE = envfloat("STORYCORE_RETRY_BACKOFF_BASE", 5.0, minimum=0)
STORYCORE_RETRY_BACKOFF_CAP = envfloat("STORYCORE_RETRY_BACKOFF_CAP", 300.0, minimum=0)
STORYCORE_DEFAULT_MAX_RETRIES = envint("STORYCORE_DEFAULT_MAX_RETRIES", 3, minimum=0)
# A processing job whose worker has not checked in for this long is presumed dead.
STORYCORE_JOB_LEASE = envint("STORYCORE_JOB_LEASE", 120, minimum=5)
# A pending job enqueued this long ago but still not claimed is enqueued again (the
# broker lost it: Redis restarted, a cluster died between dequeue and claim).
STORYCORE_REDISPATCH_AFTER = envint("STORYCORE_REDISPATCH_AFTER", 300, minimum=5)
# A worker that claims a job running in-process (built-in text providers) claims up to this
# many due jobs of its type at once and completes them in one transaction (1: one at a time).
STORYCORE_WORKER_BATCH = envint("STORYCORE_WORKER_BATCH", 100, minimum=1)
STORYCORE_RETENTION_DAYS = envint("STORYCORE_RETENTION_DAYS", 30, minimum=1)
STORYCORE_CLEANUP_BATCH_SIZE = envint("STORYCORE_CLEANUP_BATCH_SIZE", 500, minimum=1)
STORYCORE_MAX_WAIT = 30  # seconds, the ceiling of ?wait=N (README, "HTTP API")

# --- Providers --------------------------------------------------------------------------
STORYCORE_TEXT_PROVIDER = envchoice("STORYCORE_TEXT_PROVIDER", "builtin", ("builtin", "llm"))
# The language of a dialogue whose request names none (`en` or `fr`).
STORYCORE_DEFAULT_LANGUAGE = envchoice("STORYCORE_DEFAULT_LANGUAGE", "en", ("en", "fr"))
STORYCORE_IMAGE_PROVIDER = envchoice("STORYCORE_IMAGE_PROVIDER", "builtin", ("builtin", "comfyui"))
STORYCORE_LLM_URL = envstr("STORYCORE_LLM_URL", "http://127.0.0.1:11434/v1")
STORYCORE_LLM_MODEL = envstr("STORYCORE_LLM_MODEL", "llama3.1")
STORYCORE_LLM_API_KEY = envstr("STORYCORE_LLM_API_KEY")
STORYCORE_LLM_TIMEOUT = envfloat("STORYCORE_LLM_TIMEOUT", 120.0, minimum=0.1)
STORYCORE_COMFYUI_URL = envstr("STORYCORE_COMFYUI_URL", "http://127.0.0.1:8188")
STORYCORE_COMFYUI_CHECKPOINT = envstr("STORYCORE_COMFYUI_CHECKPOINT", "sd_xl_base_1.0.safetensors")
# The model family prompts are sized and tuned for (`sd15`, `sdxl`): the default checkpoint's.
STORYCORE_MODEL_FAMILY = envchoice(
    "STORYCORE_MODEL_FAMILY", "sdxl" if "xl" in STORYCORE_COMFYUI_CHECKPOINT.lower() else "sd15", ("sd15", "sdxl")
)
STORYCORE_COMFYUI_TIMEOUT = envfloat("STORYCORE_COMFYUI_TIMEOUT", 300.0, minimum=0.1)
STORYCORE_COMFYUI_WORKFLOW = envstr("STORYCORE_COMFYUI_WORKFLOW")

# Prompt enhancement: the folder of __wildcard__ files (one value per line, *.txt; a
# sub-folder gives __folder/name__). Defaults to the files shipped with the app.
STORYCORE_PROMPT_WILDCARDS_DIR = Path(
    envstr("STORYCORE_PROMPT_WILDCARDS_DIR", str(BASE_DIR / "automation" / "catalog" / "data" / "wildcards"))
)

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "automation.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envstr("STORYCORE_THROTTLE_ANON", "60/min"),
        "user": envstr("STORYCORE_THROTTLE_USER", "6000/min"),
        "generate": envstr("STORYCORE_THROTTLE_GENERATE", "1200/min"),
    },
    "EXCEPTION_HANDLER": "automation.api.exception_handlers.api_exception_handler",
    # JSON only (a form or multipart body is a 415), through a parser that answers
    # over-deep nesting with a 400 instead of a 500.
    "DEFAULT_PARSER_CLASSES": ["automation.api.parsers.JSONParser"],
    # Documents the error answers too (400/401/403/404/413/415/429 where they happen), so
    # clients and the schemathesis fuzz test can hold every answer to the schema.
    "DEFAULT_SCHEMA_CLASS": "automation.api.schema.StoryCoreAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "StoryCore Automation API",
    "DESCRIPTION": "Dialogues, character grids and enhanced prompts, generated as background jobs with retries.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DialogueMoodEnum": "automation.api.schema_enums.DIALOGUE_MOODS",
        "ImageMoodEnum": "automation.api.schema_enums.IMAGE_MOODS",
        "TextProviderEnum": "automation.api.schema_enums.TEXT_PROVIDERS",
        "ImageProviderEnum": "automation.api.schema_enums.IMAGE_PROVIDERS",
    },
}

# --- Auth, i18n, static and media ----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(envstr("STORYCORE_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security: safe by default, relaxed only by DEBUG or explicit opt-out --------------------
SECURE_HTTPS = envbool("STORYCORE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = envbool("STORYCORE_SSL_REDIRECT", SECURE_HTTPS)
SECURE_HSTS_SECONDS = envint("STORYCORE_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("STORYCORE_BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Bodies above this are refused (a JSON 413) before they reach a serializer.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("STORYCORE_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # django-q2 logs as "django-q"; INFO writes a line per enqueue and per task.
    "loggers": {"django-q": {"level": envstr("STORYCORE_Q_LOG_LEVEL", "WARNING"), "propagate": True}},
}
