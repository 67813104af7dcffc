"""Many graphite-web events in one POST: ``/wlgen/events/``, a JSON array of the objects
graphite-web's own ``POST /events/`` takes (``what``, ``tags``, ``data``, ``when``).

Why: graphite-web saves an event per request, in its own transaction, and django-tagging
adds a get_or_create of each tag and of each tag's link to the event (about 14 ms of CPU
an event, measured in this image; ~110 events/s on a quiet 2-core host). A storm of
2,000 jobs annotates 6,000 events, which a loaded host could not take before the run's
sinks gave up. Here a batch is one transaction: the events are inserted, each distinct
tag is looked up once, the tag links go in one bulk insert and the tag column is set
by one update per distinct tag string. What is stored is what
``POST /events/`` stores (the same rows of the same tables), so ``/events/get_data``,
``events()`` in /render and the events page read them alike.

A batch is all or nothing: a malformed event refuses the whole batch with 400 and the
index of the first bad one (the client then sends the batch one by one, so only the bad
event is refused). Reached as ``http://<graphite-web>/wlgen/events/``; the wlgen
annotation sink uses it when it answers and falls back to ``/events/`` when it does not.
"""
import json
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils.timezone import now
from django.views.decorators.csrf import csrf_exempt
from graphite.events.models import Event
from graphite.util import epoch_to_dt
from tagging.models import Tag, TaggedItem
from tagging.utils import parse_tag_input


def _row(event):
    """(Event without its tags, its tag string) for one posted object; ValueError if bad."""
    if not isinstance(event, dict):
        raise ValueError("an event must be a JSON object")
    tags = event.get("tags")
    if isinstance(tags, list):
        tags = " ".join(str(t) for t in tags)
    elif tags is not None and not isinstance(tags, str):
        raise ValueError('"tags" must be an array or space-separated string')
    when = epoch_to_dt(float(event["when"])) if "when" in event else now()
    # No tags yet: set here, TagField's post_save would update the tag links one query
    # at a time, which is what this view exists to avoid. The column is set afterwards.
    row = Event(what=event.get("what"), when=when, data=event.get("data", ""))
    return row, tags or ""


@csrf_exempt
def post_events(request):
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        events = json.loads(request.body)
    except ValueError as err:
        return JsonResponse({"error": f"not JSON: {err}"}, status=400)
    if not isinstance(events, list):
        return JsonResponse({"error": "expected a JSON array of events"}, status=400)
    rows = []
    for index, event in enumerate(events):
        try:
            rows.append(_row(event))
        except (ValueError, TypeError, KeyError) as err:
            return JsonResponse({"error": str(err), "index": index}, status=400)
    with transaction.atomic():
        ctype = ContentType.objects.get_for_model(Event)
        tags, links, by_text = {}, [], defaultdict(list)
        for row, text in rows:
            row.save()
            by_text[text].append(row.pk)
            for name in parse_tag_input(text):
                if name not in tags:
                    tags[name] = Tag.objects.get_or_create(name=name)[0]
                links.append(TaggedItem(tag=tags[name], content_type=ctype, object_id=row.pk))
        TaggedItem.objects.bulk_create(links)
        for text, pks in by_text.items():   # a run's events share a few tag strings
            Event.objects.filter(pk__in=pks).update(tags=text)
    return JsonResponse({"saved": len(rows)})
