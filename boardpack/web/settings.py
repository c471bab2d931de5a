"""Django's settings for `boardpack serve`, from the data folder and the environment.

Set as Django's deployment checklist and security guide say: no debug pages, a secret key made
once per data folder and kept there (never in the code), Argon2 for passwords, HttpOnly and
SameSite cookies (Secure too when served over HTTPS), no framing, no sniffing of content types.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from boardpack.web import ADDRESS_ENV, DATA_ENV, DATABASE_ENV, HOSTS_ENV, SECURE_ENV
from boardpack.web.oidc import settings_from

DATA = Path(os.environ[DATA_ENV])
DATA.mkdir(parents=True, exist_ok=True)


def _secret_key(folder: Path) -> str:
    """The data folder's secret key, made on first start and readable by its owner only."""
    path = folder / "secret-key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text(encoding="ascii").strip()


def _database(url: str | None) -> dict[str, object]:
    if not url:
        # Writers queue for the lock instead of failing at once, and take it at the start of a
        # transaction, so that twenty managers uploading together all get their results.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA / "boardpack.sqlite3",
            "OPTIONS": {"timeout": 60, "transaction_mode": "IMMEDIATE"},
        }
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"{DATABASE_ENV} must be a postgresql:// URL (got {parsed.scheme}://)")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
    }


SECRET_KEY = _secret_key(DATA)
DEBUG = False
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get(HOSTS_ENV, "127.0.0.1,localhost").split(",") if h.strip()
]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "axes",
    "boardpack.web.apps.WebConfig",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]
ROOT_URLCONF = "boardpack.web.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": _database(os.environ.get(DATABASE_ENV))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # reads hashes made before Argon2
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"

# Cookies and headers, as the security guide says.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600  # a working day
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if os.environ.get(SECURE_ENV) == "1":
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SITE_ADDRESS = os.environ.get(ADDRESS_ENV, "").strip().rstrip("/")
if SITE_ADDRESS and urlparse(SITE_ADDRESS).scheme not in ("http", "https"):
    raise ValueError(f"{ADDRESS_ENV} must be an https:// address (got {SITE_ADDRESS!r})")

# A workbook is a few hundred kilobytes; the guard refuses more than it can safely open.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Sign-in by the council's identity provider, when configured (oidc.py); local accounts too.
OIDC = settings_from()
OIDC_ENABLED = bool(OIDC)
# Every sign-in goes through django-axes first: five failures for one account from one address
# lock that pair out for a quarter of an hour (a password guesser, not a colleague's typo).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
AXES_WHITELIST_CALLABLE = "boardpack.web.access.uncounted_sign_in"
if OIDC_ENABLED:
    globals().update(OIDC)
    AUTHENTICATION_BACKENDS.insert(1, "boardpack.web.oidc_backend.CouncilAccounts")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
