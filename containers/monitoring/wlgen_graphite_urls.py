"""graphite-web's URLs, and its static files (ROOT_URLCONF of a wlgen monitoring container).

gunicorn serves graphite-web here without a web server in front and without whitenoise,
so nothing would serve /static/: the dashboard page (/dashboard/NAME, `wlgen cluster
dashboard`) would load without its scripts and show nothing. Django's static view serves
them: a few files for one person's browser, not a production site.

graphite-web 1.1.8's dashboard.js calls a global ``htmlEncode`` that does not exist
(graphite-project/graphite-web#2711): loading a saved dashboard stops there, before its
graphs. Its dashboard.js is served with the global defined first, as ExtJS's own
``Ext.util.Format.htmlEncode`` (what the reporter's fix calls).

The dashboard page also looks its theme's stylesheet up through Django's static finders,
which search graphite-web's source tree (webapp/content), not where Debian puts the
files: :class:`StaticFinder` (STATICFILES_FINDERS) finds them where they are, else the
page opens with an "Invalid theme 'default'" alert.

``/wlgen/events/`` takes many events in one POST (wlgen_graphite_events.py).
"""
from pathlib import Path

from django.conf.urls import url
from django.contrib.staticfiles.finders import BaseFinder
from django.http import HttpResponse
from django.views.static import serve
from graphite.urls import handler500, urlpatterns as graphite_urlpatterns  # noqa: F401

from wlgen_graphite_events import post_events

STATIC = Path("/usr/share/graphite-web/static")
SHIM = "var htmlEncode = Ext.util.Format.htmlEncode;  /* graphite-web#2711 */\n"


class StaticFinder(BaseFinder):
    """graphite-web's static files, where Debian installs them."""

    def find(self, path, all=False):
        found = STATIC / path
        if STATIC in found.resolve().parents and found.is_file():
            return [str(found)] if all else str(found)
        return []

    def list(self, ignore_patterns):
        return []


def dashboard_js(request):
    text = (STATIC / "js" / "dashboard.js").read_text()
    return HttpResponse(SHIM + text, content_type="application/javascript")


urlpatterns = [url(r"^static/js/dashboard\.js$", dashboard_js),
               url(r"^wlgen/events/?$", post_events),
               url(r"^static/(?P<path>.*)$", serve, {"document_root": str(STATIC)}),
               *graphite_urlpatterns]
