"""FleetOps settings: one module, every value from the environment (see .env.example).

With nothing set FleetOps runs embedded: SQLite, a file-based cache, Celery on kombu's
filesystem transport and the upstream simulators. Production sets ``FLEETOPS_ENV=production``
and real servers; it refuses to start with ``DEBUG`` on or without ``SECRET_KEY``.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# An empty value means "not set": a .env copied from .env.example (which lists every variable,
# most of them empty) keeps every default instead of overriding it with "".
for _name in [name for name, value in os.environ.items() if value == ""]:
    del os.environ[_name]

FLEETOPS_ENV = env.str("FLEETOPS_ENV", default="development")
if FLEETOPS_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("FLEETOPS_ENV must be development, test or production.")
PRODUCTION = FLEETOPS_ENV == "production"

# `make run` records where it serves (SITE_URL and PORT) in this file while it runs, so that
# commands started in a second shell (sync_sims, sync_usage, ...) reach that instance and its
# simulators. Read in development only, and only when neither SITE_URL nor PORT is set.
RUN_FILE = Path(env.str("FLEETOPS_RUN_FILE", default=str(VAR_DIR / "run.env")))
if FLEETOPS_ENV == "development" and not {"SITE_URL", "PORT"} & os.environ.keys():
    environ.Env.read_env(RUN_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="")
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when FLEETOPS_ENV=production.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when FLEETOPS_ENV=production.")
SECRET_KEY = SECRET_KEY or "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)

# --- Transport security ------------------------------------------------------------------
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto: without it Django takes every
# request for plain HTTP (no HSTS header, and SECURE_SSL_REDIRECT would loop). Only when the
# proxy always sets (overwrites) that header.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production redirects plain HTTP to HTTPS (behind a TLS proxy this needs SECURE_PROXY_SSL_HEADER,
# or every request looks like plain HTTP and redirects forever).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
# Health probes come over plain HTTP from inside (compose, load balancers).
SECURE_REDIRECT_EXEMPT = [r"^health(/live|/ready)?$"]
# HSTS is sent on HTTPS answers only; a year by default in production.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
# includeSubDomains and preload bind every subdomain, and browsers' built-in lists for months:
# the domain owner's decision (README, production checklist), not a default. `check --deploy`
# only reports them as not set, so those two notices are silenced; all the others stand.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# Content-Security-Policy on every answer (django-csp): the admin, the browsable API and the
# docs load only our own static files. The docs views widen it where Swagger UI and ReDoc need
# it (config/urls.py); API JSON answers are not affected by it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "core.apps.ConsoleAdminConfig",  # django.contrib.admin with the FleetOps console site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",  # before accounts: its lockout flag is set when our login audit receivers run
    "core",
    "accounts",
    "sims",
    "usage",
    "quotas",
    "sms",
    "alerts",
    "provisioning",
    "outages",
    "payments",
    "sites",
]

MIDDLEWARE = [
    "core.middleware.ReleaseRequestMiddleware",
    "core.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RequestGuardMiddleware",
    "core.middleware.RequestDeadlineMiddleware",
    "core.throttling.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before the first Host check (CommonMiddleware): probes answer whatever Host they send.
    "core.middleware.HealthProbeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.ConsoleMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a login refused by django-axes into the lockout page (429).
    "axes.middleware.AxesMiddleware",
    "core.middleware.CSPMiddleware",
    "core.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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

# --- Database --------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'fleetops.sqlite3'}"),
}
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.postgresql_psycopg2", "django.db.backends.postgresql"
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file in embedded mode: wait for locks, take them early,
    # and write ahead (WAL), so readers and the one writer never wait for each other.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django's backend with its connection check (SELECT 1) spaced out: a connection opened
    # or checked within DATABASE_HEALTH_CHECK_DELAY seconds is reused without one
    # (core.postgresql; 0 checks before every request, as Django does).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "core.postgresql"
    DATABASES["default"]["HEALTH_CHECK_DELAY"] = env.float(
        "DATABASE_HEALTH_CHECK_DELAY", default=5.0
    )
    # A PostgreSQL that hangs must not hold requests and workers: give up connecting after
    # DATABASE_CONNECT_TIMEOUT seconds (libpq's minimum is 2) and have the server cancel any
    # statement running longer than DATABASE_STATEMENT_TIMEOUT seconds (0: no limit). Both
    # surface as OperationalError, which the API answers with 503 SERVICE_UNAVAILABLE.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    _statement_ms = int(env.float("DATABASE_STATEMENT_TIMEOUT", default=30) * 1000)
    _extra = _options.get("options", "")
    _options["options"] = f"{_extra} -c statement_timeout={_statement_ms}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "fleetops",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=1.0),
                "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=1.0),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": "fleetops",
            # Django's default (300) culls a third of the entries at random once full: locks,
            # tokens and counters with them.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

# --- Auth ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The admin login (the only caller of authenticate()) goes through django-axes first.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TTL_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TTL_DAYS", default=7)),
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_TYPE_CLAIM": "type",
    "UPDATE_LAST_LOGIN": False,
}
# A user keeps at most this many live sessions (a refresh token, rotated on each use, and its
# access tokens); a newer login ends the oldest.
JWT_MAX_REFRESH_TOKENS = env.int("JWT_MAX_REFRESH_TOKENS", default=5)
# API keys and their owners are cached this long; revocation and user changes drop them at once.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=300)
# A read cache (the SIM list and detail) stores an answer once its path has been asked this many
# times within the answer's lifetime (nginx's proxy_cache_min_uses); 1 stores every answer.
READ_CACHE_MIN_USES = env.int("READ_CACHE_MIN_USES", default=2)
# Plain SELECTs are compiled by Django once per shape and reused with new values
# (core/sqlshapes.py); off, every query is compiled from scratch as Django does.
SQL_SHAPE_CACHE = env.bool("SQL_SHAPE_CACHE", default=True)
# Live (unrevoked, unexpired) API keys one user may hold; creating one more answers 409.
API_KEY_MAX_PER_USER = env.int("API_KEY_MAX_PER_USER", default=25)
# Seed 003's open self-registration (POST /api/auth/register). Off: 403.
OPEN_REGISTRATION = env.bool("OPEN_REGISTRATION", default=False)

RATE_LIMIT_ENABLED = env.bool("RATE_LIMIT_ENABLED", default=True)
RATE_LIMIT_PER_MINUTE = env.int("RATE_LIMIT_PER_MINUTE", default=100)
RATE_LIMIT_PER_HOUR = env.int("RATE_LIMIT_PER_HOUR", default=1000)
RATE_LIMIT_ANON_PER_MINUTE = env.int("RATE_LIMIT_ANON_PER_MINUTE", default=20)
# Requests a minute one 1NCE Data Streamer may post (each carries up to 3,000 events).
DATA_STREAMER_RATE_PER_MINUTE = env.int("DATA_STREAMER_RATE_PER_MINUTE", default=1200)
RATE_LIMIT_LOGIN_PER_MINUTE = env.int("RATE_LIMIT_LOGIN_PER_MINUTE", default=5)
# Reverse proxies in front of the app that append to X-Forwarded-For. 0: the header is ignored
# and the socket address is the client (core.net.client_address); a forged header then changes
# nothing. Set it to exactly the number of proxies, or clients can choose their own address.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("NUM_PROXIES must be 0 or more.")

# Admin login lockout (django-axes): after AXES_FAILURE_LIMIT failed logins for a username, or
# from an address, further attempts for it are refused (even with the right password) for
# AXES_COOLOFF_MINUTES. The API login has its own limit (RATE_LIMIT_LOGIN_PER_MINUTE).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks out
AXES_RESET_ON_SUCCESS = True
# Failed attempts live in the database (listed and cleared in the admin, axes_reset) or, with
# "cache", in Redis only.
_AXES_HANDLERS = {
    "database": "axes.handlers.database.AxesDatabaseHandler",
    "cache": "axes.handlers.cache.AxesCacheHandler",
}
if env.str("AXES_HANDLER", default="database") not in _AXES_HANDLERS:
    raise ImproperlyConfigured("AXES_HANDLER must be database or cache.")
AXES_HANDLER = _AXES_HANDLERS[env.str("AXES_HANDLER", default="database")]
AXES_CLIENT_IP_CALLABLE = "core.net.client_address"  # the one client-address rule
AXES_LOCKOUT_TEMPLATE = "accounts/login_locked_out.html"
AXES_DISABLE_ACCESS_LOG = True  # admin logins are in our audit log (accounts.signals)
AXES_VERBOSE = False

if FLEETOPS_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only

# --- Internationalisation and static files -----------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]  # the console's CSS/JS and vendored Chart.js
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

# --- REST framework ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.APIKeyAuthentication",
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.FleetRateThrottle"],
    # Only for DRF code that still calls get_ident(); ours uses core.net.client_address.
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.FleetPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",
        "core.filters.SearchFilter",
        "core.filters.SortFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.EnvelopeJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.FleetJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.FleetContentNegotiation",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.FleetAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=100)
# Largest request body an /api endpoint reads (413 above it), anonymous callers included.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "FleetOps API",
    "DESCRIPTION": (
        "IoT SIM fleet management on 1NCE, subscriber provisioning on PMNL v5 and NOC "
        "outage/SLA operations. Every /api/v1 answer is wrapped in the FleetOps envelope."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No "valid" badge: Swagger UI would load it from validator.swagger.io (the docs load
    # nothing from outside, and the schema's URL is not theirs to know).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "core.models.JobStatus",
        "JobItemStatusEnum": "core.models.JobItemStatus",
        "RoleEnum": "accounts.models.Role",
        # Quotas and SMS
        "QuotaTypeEnum": "quotas.models.QuotaType",
        "QuotaStatusEnum": "quotas.models.QuotaStatus",
        "TopUpStatusEnum": "quotas.models.TopUpStatus",
        "SmsStatusEnum": "sms.models.SmsStatus",
        "SmsDirectionEnum": "sms.models.SmsDirection",
        "SmsEncodingEnum": "sms.models.SmsEncoding",
        "SimStatusEnum": "sims.models.SimStatus",
        "SimWritableStatusEnum": ["Enabled", "Disabled"],
        "ResetStatusEnum": "sims.models.ResetStatus",
        "OrderStatusEnum": "sims.models.OrderStatus",
        # Outages
        "OutageStatusEnum": "outages.models.OutageStatus",
        "OutageSeverityEnum": "outages.models.Severity",
        "RootCauseCategoryEnum": "outages.models.RootCauseCategory",
        "PaymentStatusEnum": "payments.models.PaymentStatus",
        "PaymentTypeEnum": "payments.models.PaymentType",
        # Alerts and webhooks
        "AlertStatusEnum": "alerts.models.AlertStatus",
        "DeliveryStatusEnum": "alerts.models.DeliveryStatus",
    },
    "PREPROCESSING_HOOKS": ["core.schema.one_path_form"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.wrap_in_envelope",
    ],
}

# --- Health and metrics ----------------------------------------------------------------------
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=1.0)
# Readiness checks 1NCE (default account) with a token and one cheap call, at most once per
# HEALTH_ONENCE_CACHE_SECONDS for all instances, giving it HEALTH_ONENCE_TIMEOUT seconds.
HEALTH_ONENCE_CACHE_SECONDS = env.int("HEALTH_ONENCE_CACHE_SECONDS", default=30)
HEALTH_ONENCE_TIMEOUT = env.float("HEALTH_ONENCE_TIMEOUT", default=5.0)
# /metrics answers a request with this bearer token or from one of these addresses.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Celery ------------------------------------------------------------------------------------
# The filesystem transport ignores the host; naming one spares kombu's "No hostname" warning.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery" / "broker"
    for _folder in ("broker", "processed", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # progress lives on core.Job rows, not in a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
# Redis redelivers a message its worker took but never acknowledged (acks_late) after this
# many seconds: that is how long a whole-worker crash (SIGKILL, lost machine) stalls its task.
# It must exceed the longest task (CELERY_TASK_TIME_LIMIT: a task still running would run
# twice) and the longest retry countdown (a delayed retry waits unacknowledged in a worker);
# bulk jobs run in JOB_CHUNK_SECONDS chunks and the usage sync stops within its budget, so
# the hard limit is the bound. Lower CELERY_TASK_TIME_LIMIT to recover sooner.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int(
    "CELERY_BROKER_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60
)
# Connect and socket timeout (seconds) of broker calls. Jobs are enqueued inside the
# transaction that creates them, so a request waits at most this long for a broker that is
# down before it answers 503 and keeps nothing.
CELERY_BROKER_TIMEOUT = env.float("CELERY_BROKER_TIMEOUT", default=3.0)
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_BROKER_TIMEOUT
if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": CELERY_BROKER_TIMEOUT,
        "socket_timeout": CELERY_BROKER_TIMEOUT,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Where the periodic tasks are declared (its PERIODIC_TASKS list); core finds them here.
PERIODIC_TASKS_MODULE = "config.schedules"
# The task that hands outbox events to their consumers (core.events), enqueued after each commit.
EVENT_DISPATCH_TASK = "core.tasks.dispatch_events"
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=30)

# Webhooks and alert notifications (alerts/). Outside production, http:// and private or
# loopback receivers are allowed (the demo and tests deliver to 127.0.0.1); in production a
# receiver must be https:// on a public address unless these say otherwise, so FleetOps cannot
# be pointed at its own network.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=not PRODUCTION)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=not PRODUCTION)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# A webhook's due deliveries are sent in one task for this long at most, then it queues the next.
WEBHOOK_DRAIN_SECONDS = env.float("WEBHOOK_DRAIN_SECONDS", default=20.0)
# Attempts of one delivery, spread with exponential backoff over about a day.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=15)
# Deliveries in a row that exhaust their retries before a webhook is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)

# Alert e-mail: EMAIL_URL such as smtp+tls://user:password@smtp.example.com:587 (django-environ);
# by default messages are printed to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FleetOps <fleetops@localhost>")
# Keep our structured logging in workers too (Celery would replace the root handlers).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The worker serves its Prometheus metrics (tasks, upstream calls, queue lengths) on this port
# and address (config/worker_metrics.py); 0: it serves none.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDRESS = env.str("WORKER_METRICS_ADDRESS", default="127.0.0.1")
CELERY_TIMEZONE = "UTC"

# --- Upstreams and simulators --------------------------------------------------------------------
SIMULATORS_ENABLED = env.bool("SIMULATORS_ENABLED", default=not PRODUCTION)
if SIMULATORS_ENABLED:
    # Only then: their tables, admin pages and /sim/ routes have no place in production.
    INSTALLED_APPS.append("simulators")
# Where the product reaches itself (the simulators' base URL in embedded mode).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
UPSTREAM_CONNECT_TIMEOUT = env.float("UPSTREAM_CONNECT_TIMEOUT", default=3.05)
UPSTREAM_READ_TIMEOUT = env.float("UPSTREAM_READ_TIMEOUT", default=15.0)
UPSTREAM_MAX_RETRIES = env.int("UPSTREAM_MAX_RETRIES", default=3)
# An upstream call inside a database transaction (upstream/transactions.py): "raise" or "log".
UPSTREAM_IN_TRANSACTION = env.str(
    "UPSTREAM_IN_TRANSACTION", default="raise" if FLEETOPS_ENV == "test" else "log"
)
if UPSTREAM_IN_TRANSACTION not in {"raise", "log"}:
    raise ImproperlyConfigured("UPSTREAM_IN_TRANSACTION must be raise or log.")
# Every upstream call of one API request (retries and backoff included) shares this budget;
# past it the request answers its stale fallback or 504. It must stay under gunicorn's worker
# timeout, or gunicorn kills the worker first. Celery tasks are not bound by it. 0: no deadline.
REQUEST_DEADLINE_SECONDS = env.float("REQUEST_DEADLINE_SECONDS", default=25.0)
# The worker timeout gunicorn runs with: config/gunicorn.py is its one source (GUNICORN_TIMEOUT).
from config.gunicorn import timeout as _GUNICORN_TIMEOUT  # noqa: E402

if _GUNICORN_TIMEOUT <= REQUEST_DEADLINE_SECONDS:
    raise ImproperlyConfigured("REQUEST_DEADLINE_SECONDS must be under GUNICORN_TIMEOUT.")
# Key for secrets stored encrypted at rest (per-organization upstream credentials); a Fernet
# key. Defaults to one derived from SECRET_KEY; set it explicitly to rotate SECRET_KEY freely.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")

# 1NCE: the default account (organizations may connect their own). With the simulators on,
# the base URL defaults to the 1NCE simulator, which accepts exactly these credentials.
ONENCE_BASE_URL = env.str(
    "ONENCE_BASE_URL",
    default=f"{SITE_URL}/sim/1nce/management-api" if SIMULATORS_ENABLED else "",
)
ONENCE_CLIENT_ID = env.str(
    "ONENCE_CLIENT_ID", default="fleetops-demo-client" if SIMULATORS_ENABLED else ""
)
ONENCE_CLIENT_SECRET = env.str(
    "ONENCE_CLIENT_SECRET", default="fleetops-demo-secret" if SIMULATORS_ENABLED else ""
)
# The organization (slug) whose SIMs live in the default 1NCE account; organizations with
# their own account in the admin are synced with it instead.
ONENCE_DEFAULT_ORGANIZATION = env.str(
    "ONENCE_DEFAULT_ORGANIZATION", default="demo" if SIMULATORS_ENABLED else ""
)
# A SIM sync that finds 1NCE down (task or ``manage.py sync_sims``) is retried up to 5 times
# after this many seconds, doubling each time (with jitter, capped at 10 minutes).
SIM_SYNC_RETRY_BACKOFF_SECONDS = env.int("SIM_SYNC_RETRY_BACKOFF_SECONDS", default=10)
# Pages of SIMs a sync fetches at once (the rate limiter still caps the account's total).
SIM_SYNC_CONCURRENCY = env.int("SIM_SYNC_CONCURRENCY", default=4)
# Live connectivity answers are cached this long (seconds).
CONNECTIVITY_CACHE_SECONDS = env.int("CONNECTIVITY_CACHE_SECONDS", default=30)
# The daily cleanup deletes connectivity snapshots older than this (each SIM's newest stays:
# it is the answer while 1NCE is down).
CONNECTIVITY_RETENTION_DAYS = env.int("CONNECTIVITY_RETENTION_DAYS", default=30)
# The periodic connectivity refresh reads at most this many SIMs per run (one request each),
# those read longest ago first: at 1NCE's 10/s a run of 4,000 takes under 7 minutes.
CONNECTIVITY_REFRESH_MAX_SIMS = env.int("CONNECTIVITY_REFRESH_MAX_SIMS", default=4000)
# The periodic quota and connectivity refreshes start no SIM after this many seconds (under
# their 15-minute period); the SIMs not reached go first next run.
FLEET_REFRESH_TIME_BUDGET_SECONDS = env.int("FLEET_REFRESH_TIME_BUDGET_SECONDS", default=600)
# A connectivity reset is expected within RESET_EXPECTED_SECONDS and declared failed when no
# new session shows up RESET_GRACE_SECONDS after that.
RESET_EXPECTED_SECONDS = env.int("RESET_EXPECTED_SECONDS", default=120)
RESET_GRACE_SECONDS = env.int("RESET_GRACE_SECONDS", default=600)
# 1NCE's product catalogue is cached this long (seconds).
PRODUCTS_CACHE_SECONDS = env.int("PRODUCTS_CACHE_SECONDS", default=3600)
# 1NCE allows about 10 requests per second per customer on /sims; shared through Redis.
ONENCE_RATE_LIMIT_PER_SECOND = env.float("ONENCE_RATE_LIMIT_PER_SECOND", default=10.0)
# Refresh the bearer token this many seconds before it expires.
ONENCE_TOKEN_REFRESH_MARGIN = env.int("ONENCE_TOKEN_REFRESH_MARGIN", default=600)
# Usage sync: how many days back a SIM's usage is read (its first sync, and once more for SIMs
# covering less after the setting is raised). Capped at what 1NCE keeps (180 days).
USAGE_INITIAL_SYNC_DAYS = env.int("USAGE_INITIAL_SYNC_DAYS", default=90)
# SIMs that failed with a transient upstream error are retried this many more times in the
# same run, waiting USAGE_SYNC_RETRY_DELAY_SECONDS, then twice that, and so on.
USAGE_SYNC_RETRIES = env.int("USAGE_SYNC_RETRIES", default=2)
USAGE_SYNC_RETRY_DELAY_SECONDS = env.float("USAGE_SYNC_RETRY_DELAY_SECONDS", default=5.0)
# This many consecutive transient failures mean 1NCE is down: the run stops (and is retried).
USAGE_SYNC_ABORT_AFTER = env.int("USAGE_SYNC_ABORT_AFTER", default=10)
# The per-organization daily rollup is recomputed after every batch of this many SIMs.
USAGE_SYNC_BATCH_SIZE = env.int("USAGE_SYNC_BATCH_SIZE", default=200)
# A run starts no SIM after this many seconds (under the task's soft time limit); the SIMs it
# did not reach are the least recently synced, so the next run takes them first.
USAGE_SYNC_TIME_BUDGET_SECONDS = env.int(
    "USAGE_SYNC_TIME_BUDGET_SECONDS", default=max(CELERY_TASK_SOFT_TIME_LIMIT - 180, 60)
)
# SIMs one run reads at most, least recently synced first: one request each, so at 1NCE's
# 10/s about 12,000 fit in the budget; a larger fleet is covered over several runs.
USAGE_SYNC_MAX_SIMS = env.int("USAGE_SYNC_MAX_SIMS", default=12_000)
# One run per scope at a time: its lock expires this long after the run's last heartbeat
# (every third of it), so a killed run blocks the next one for at most this long.
USAGE_SYNC_LOCK_TTL_SECONDS = env.int("USAGE_SYNC_LOCK_TTL_SECONDS", default=60)

# --- PMNL v5 (subscriber provisioning) ------------------------------------------------------
# The default PMNL account: with the simulators on, the PMNL simulator and its demo credentials.
PMNL_BASE_URL = env.str(
    "PMNL_BASE_URL", default=f"{SITE_URL}/sim/pmnl/v5" if SIMULATORS_ENABLED else ""
)
PMNL_TOKEN_URL = env.str(
    "PMNL_TOKEN_URL", default=f"{SITE_URL}/sim/pmnl/oauth2/token" if SIMULATORS_ENABLED else ""
)
PMNL_CLIENT_ID = env.str("PMNL_CLIENT_ID", default="fleetops-pmnl" if SIMULATORS_ENABLED else "")
PMNL_CLIENT_SECRET = env.str(
    "PMNL_CLIENT_SECRET", default="fleetops-pmnl-secret" if SIMULATORS_ENABLED else ""
)
PMNL_API_KEY = env.str("PMNL_API_KEY", default="fleetops-pmnl-key" if SIMULATORS_ENABLED else "")
# The organization (slug) that owns the default PMNL account; others connect their own.
PMNL_DEFAULT_ORGANIZATION = env.str(
    "PMNL_DEFAULT_ORGANIZATION", default="demo" if SIMULATORS_ENABLED else ""
)
PMNL_CONNECT_TIMEOUT = env.float("PMNL_CONNECT_TIMEOUT", default=5.0)
PMNL_READ_TIMEOUT = env.float("PMNL_READ_TIMEOUT", default=30.0)
# The OAuth2 token is refreshed this many seconds before it expires.
PMNL_TOKEN_REFRESH_MARGIN = env.int("PMNL_TOKEN_REFRESH_MARGIN", default=30)
# A queued request is polled this often by its task until it is terminal; the beat job (every
# minute) picks up any whose task was lost. Past PMNL_REQUEST_TIMEOUT_SECONDS it is failed.
PMNL_POLL_INTERVAL_SECONDS = env.float("PMNL_POLL_INTERVAL_SECONDS", default=1.0)
PMNL_REQUEST_TIMEOUT_SECONDS = env.int("PMNL_REQUEST_TIMEOUT_SECONDS", default=3600)
# Seed 003 section 6: per user, per minute.
PMNL_SUBSCRIBER_RATE_PER_MINUTE = env.int("PMNL_SUBSCRIBER_RATE_PER_MINUTE", default=100)
PMNL_REQUEST_POLL_RATE_PER_MINUTE = env.int("PMNL_REQUEST_POLL_RATE_PER_MINUTE", default=30)
# --- Stellar (payments, wallets, SLA attestations) ---------------------------------------------
# Horizon and the network passphrase: testnet unless set explicitly (the public network only
# when STELLAR_NETWORK_PASSPHRASE is the public one). With the simulators on, Horizon defaults
# to the Horizon simulator, which knows the demo keys below.
_STELLAR_TESTNET = "Test SDF Network ; September 2015"
HORIZON_URL = env.str(
    "HORIZON_URL",
    default=f"{SITE_URL}/sim/horizon"
    if SIMULATORS_ENABLED
    else "https://horizon-testnet.stellar.org",
).rstrip("/")
STELLAR_NETWORK_PASSPHRASE = env.str("STELLAR_NETWORK_PASSPHRASE", default=_STELLAR_TESTNET)
# Friendbot funds new testnet accounts (empty: no fund action; never on the public network).
STELLAR_FRIENDBOT_URL = env.str(
    "STELLAR_FRIENDBOT_URL",
    default=f"{HORIZON_URL}/friendbot"
    if SIMULATORS_ENABLED
    else (
        "https://friendbot.stellar.org" if STELLAR_NETWORK_PASSPHRASE == _STELLAR_TESTNET else ""
    ),
)
# The asset payouts and penalties are paid in: USDC (issuer below), XLM, or a custom asset
# (STELLAR_CUSTOM_ASSET_CODE + STELLAR_CUSTOM_ASSET_ISSUER).
STELLAR_PAYMENT_ASSET = env.str("STELLAR_PAYMENT_ASSET", default="USDC")
STELLAR_USDC_ISSUER = env.str(
    "STELLAR_USDC_ISSUER", default="GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"
)
STELLAR_CUSTOM_ASSET_CODE = env.str("STELLAR_CUSTOM_ASSET_CODE", default="")
STELLAR_CUSTOM_ASSET_ISSUER = env.str("STELLAR_CUSTOM_ASSET_ISSUER", default="")
# The default Stellar account (organizations may connect their own in the console): the SLA
# pool's and the operator's signing keys, owned by STELLAR_DEFAULT_ORGANIZATION. The demo keys
# exist only on the simulator.
STELLAR_POOL_SECRET = env.str(
    "STELLAR_POOL_SECRET",
    default="SD34CIQ6UVD4AUHS4C5TJU4XCHWVKRA3MJPYERVWE3PKPKMRQMNUHZEM"
    if SIMULATORS_ENABLED
    else "",
)
STELLAR_OPERATOR_SECRET = env.str(
    "STELLAR_OPERATOR_SECRET",
    default="SA53GH65CCX4JAUX5ELAN24BEAQ6OP5BAAGK3Q6GPDOQ6WEFYLKJGXKU"
    if SIMULATORS_ENABLED
    else "",
)
STELLAR_DEFAULT_ORGANIZATION = env.str(
    "STELLAR_DEFAULT_ORGANIZATION", default="demo" if SIMULATORS_ENABLED else ""
)
# Links to a transaction: STELLAR_EXPLORER_URL + "/tx/" + hash.
STELLAR_EXPLORER_URL = env.str(
    "STELLAR_EXPLORER_URL", default="https://stellar.expert/explorer/testnet"
).rstrip("/")
STELLAR_BASE_FEE = env.int("STELLAR_BASE_FEE", default=100)  # stroops per operation
# A signed transaction is valid this long (its time bounds); past it the network never applies
# it, so a payment whose answer was lost can be rebuilt safely.
STELLAR_TX_TIMEOUT_SECONDS = env.int("STELLAR_TX_TIMEOUT_SECONDS", default=120)
# How long a submission waits for Horizon's verdict (Horizon itself gives up after ~30 s).
STELLAR_SUBMIT_TIMEOUT = env.float("STELLAR_SUBMIT_TIMEOUT", default=30.0)
# Pages of 200 transactions searched for a payment's memo before it is ever resubmitted.
STELLAR_MEMO_SEARCH_PAGES = env.int("STELLAR_MEMO_SEARCH_PAGES", default=10)
# Payment operations (settle, process-sla, execute-payment, wallet funding) per user a minute.
PAYMENT_RATE_LIMIT_PER_MINUTE = env.int("PAYMENT_RATE_LIMIT_PER_MINUTE", default=10)

# --- Jobs ---------------------------------------------------------------------------------
JOB_RETENTION_DAYS = env.int("JOB_RETENTION_DAYS", default=30)
# A bulk job runs in chunks: a task run stops between items after this many seconds and
# enqueues the next chunk, so no run comes near CELERY_TASK_SOFT_TIME_LIMIT.
JOB_CHUNK_SECONDS = env.int("JOB_CHUNK_SECONDS", default=240)
# A running chunk holds its job's lock, renewed every third of this; a killed worker's lock
# expires this long after it died, and the redelivered task takes the job over.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=30)
# sweep-jobs re-enqueues a job left pending (its message lost) or processing with nobody
# running it (a chunk killed at its hard limit) for this long.
JOB_SWEEP_AFTER_SECONDS = env.int("JOB_SWEEP_AFTER_SECONDS", default=300)
# How long a request's Idempotency-Key and its first answer are kept.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# A request holds its Idempotency-Key this long while it runs (longer than any request may
# take); a retry after that finds its holder dead and resumes the work under the same key.
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=90)

# --- Quotas and SMS -------------------------------------------------------------------------
# One 1NCE top-up package adds this much data (bytes) and SMS together; a top-up volume must be
# a whole number of packages of its quota type.
TOPUP_DATA_PACKAGE_BYTES = env.int("TOPUP_DATA_PACKAGE_BYTES", default=524_288_000)
TOPUP_SMS_PACKAGE = env.int("TOPUP_SMS_PACKAGE", default=250)
# The most packages one top-up request (or one bulk item) may buy.
TOPUP_MAX_PACKAGES = env.int("TOPUP_MAX_PACKAGES", default=10)
TOPUP_BULK_MAX_SIMS = env.int("TOPUP_BULK_MAX_SIMS", default=1000)
# A top-up call younger than this is assumed to be still running in another process; older
# ones without an answer are reconciled against 1NCE's orders.
TOPUP_RECONCILE_GRACE_SECONDS = env.int("TOPUP_RECONCILE_GRACE_SECONDS", default=120)
# 1NCE's order dates may differ from our clock by up to this much.
TOPUP_RECONCILE_CLOCK_SKEW_SECONDS = env.int("TOPUP_RECONCILE_CLOCK_SKEW_SECONDS", default=300)
# A top-up call whose answer was lost is taken as not applied only when 1NCE still shows no
# order for it this long after the call (beyond 1NCE's apply delay); until then it blocks
# further top-ups of the SIM and is never repeated.
TOPUP_SETTLE_SECONDS = env.int("TOPUP_SETTLE_SECONDS", default=600)
# Order-list calls reconciliation may make per 5 minutes and 1NCE account (1NCE allows 100 to
# /orders and /products together; the rest is left to users' order reads).
TOPUP_RECONCILE_ORDER_CALLS = env.int("TOPUP_RECONCILE_ORDER_CALLS", default=60)
# Percent of a quota used at which it counts as "threshold reached" without a rule.
QUOTA_THRESHOLD_PERCENT = env.int("QUOTA_THRESHOLD_PERCENT", default=80)
# A quota read older than this is refreshed from 1NCE on GET (the stored one is served,
# flagged stale, when 1NCE is down).
QUOTA_REFRESH_SECONDS = env.int("QUOTA_REFRESH_SECONDS", default=60)
# The periodic quota refresh reads at most this many SIMs per run (two requests each: data and
# SMS), those read longest ago first.
QUOTA_REFRESH_MAX_SIMS = env.int("QUOTA_REFRESH_MAX_SIMS", default=2000)
# A sent SMS's status is read again this many seconds after the send (1NCE's first delivery
# attempt is due within seconds), so the mirror shows it delivered without waiting for sync-sms.
SMS_FOLLOW_SECONDS = env.int("SMS_FOLLOW_SECONDS", default=20)
# How long a non-final MT SMS may go without a status check when it is read.
SMS_STATUS_REFRESH_SECONDS = env.int("SMS_STATUS_REFRESH_SECONDS", default=10)
# SIMs whose MO messages the periodic SMS sync reads per run (least recently read first).
SMS_SYNC_BATCH_SIZE = env.int("SMS_SYNC_BATCH_SIZE", default=500)
# An MT SMS whose send answer was lost is taken as never sent only when 1NCE's list still
# lacks it this long after the call; until then it is never sent again.
SMS_SETTLE_SECONDS = env.int("SMS_SETTLE_SECONDS", default=600)

# --- Outages and SLA ------------------------------------------------------------------------
# A running outage is flagged "about to breach" at this share (%) of its SLA threshold.
SLA_WARNING_PERCENT = env.int("SLA_WARNING_PERCENT", default=80)
# --- Error tracking ---------------------------------------------------------------------------
# Sentry (config/sentry.py), off unless SENTRY_DSN is set: Django and Celery errors, no
# personal data, every event through core.logging's redactors. SENTRY_TRACES_SAMPLE_RATE > 0
# also sends that share of requests and tasks as performance traces.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=FLEETOPS_ENV),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "console")
LOGGING_CONFIG = None  # configured by core.logging, structlog on top of stdlib logging

from core.logging import configure_logging  # noqa: E402

configure_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)
