"""graphite-web settings of a wlgen monitoring container (GRAPHITE_SETTINGS_MODULE)."""
import os

SECRET_KEY = os.environ["WLGEN_GRAPHITE_SECRET"]  # fresh per container (entrypoint)
GRAPHITE_ROOT = "/usr/share/graphite-web"
CONF_DIR = "/etc/wlgen"
STORAGE_DIR = "/var/lib/graphite"
STATIC_ROOT = "/usr/share/graphite-web/static"
LOG_DIR = "/var/log/graphite"
INDEX_FILE = "/var/lib/graphite/search_index"
WHISPER_DIR = "/var/lib/graphite/whisper"
STANDARD_DIRS = [WHISPER_DIR]
CARBONLINK_HOSTS = ["127.0.0.1:7002"]  # points still in carbon's cache are readable too
DATABASES = {"default": {"NAME": "/var/lib/graphite/graphite.db",
                         "ENGINE": "django.db.backends.sqlite3"}}
# Reached as 127.0.0.1:<published port> from the host and graphite:8080 in the network.
ALLOWED_HOSTS = ["*"]
TIME_ZONE = "UTC"
LOG_ROTATION = False
DEFAULT_XFILES_FACTOR = 0
FUNCTION_PLUGINS = []
SILENCED_SYSTEM_CHECKS = ["models.W042"]  # graphite-web 1.1.8 models on Django 3.2
# graphite-web's app settings, loaded here (graphite.settings then skips its own copy) so
# that ROOT_URLCONF can also serve the static files: see wlgen_graphite_urls.py.
from graphite.app_settings import *  # noqa: E402,F403
ROOT_URLCONF = "wlgen_graphite_urls"
STATICFILES_FINDERS = ["wlgen_graphite_urls.StaticFinder"]
