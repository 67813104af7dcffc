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
index of the first bad one (the client then sends the events before it in one POST,
refuses that one alone, and goes on with the rest). Malformed: not an object, no
``what`` string (at most 255 characters), ``data`` not a string, ``when`` not a finite
epoch within datetime's years, ``tags`` neither an array of strings nor a string,
``key`` not a string. graphite-web's own view answers 500 to most of those, which a
client would retry for ever. A body that is not ``application/json`` is refused with
415, one longer than Django's DATA_UPLOAD_MAX_MEMORY_SIZE with 413 (the client halves
its batches, and refuses an event too large alone).

Idempotent: an event may carry a ``key`` (the wlgen sink sends run id, job seq, kind,
state and time, ``AnnotationSink.key``); an event whose key was saved before is
skipped, not stored twice. A batch that took longer than the client's timeout was still
committed here, and the client sends it again: the keys make that retry harmless. The
keys live in a table of their own (``wlgen_event_key``: key, event id), created once,
written in the same transaction as the events, after them; a key whose event is gone
(deleted) is removed, so that event can be stored again and the table does not outgrow
the events. ``INSERT OR IGNORE`` is SQLite's: the image keeps graphite-web's database in
SQLite (wlgen_graphite_settings.py). Reached as
``http://<graphite-web>/wlgen/events/``; the wlgen annotation sink uses it when it
answers and falls back to ``/events/`` when it does not.
"""
import json
import math
from collections import defaultdict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.timezone import now
from django.views.decorators.csrf import csrf_exempt
from graphite.events.models import Event
from graphite.util import epoch_to_dt
from tagging.models import Tag, TaggedItem
from tagging.utils import parse_tag_input

LAST_EPOCH = 253402300799   # 9999-12-31 23:59:59 UTC, datetime's last second
KEYS = "wlgen_event_key"


def _when(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError('"when" must be a number (epoch seconds)')
    if not math.isfinite(value) or not 0 <= value <= LAST_EPOCH:
        raise ValueError(f'"when" must be an epoch between 0 and {LAST_EPOCH}')
    return epoch_to_dt(value)


def _tags(tags):
    if tags is None or isinstance(tags, str):
        return tags or ""
    if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
        return " ".join(tags)
    raise ValueError('"tags" must be an array of strings or a space-separated string')


def _row(event):
    """(Event without its tags, its tag string, its key or None) for one posted object;
    ValueError naming the rule it breaks."""
    if not isinstance(event, dict):
        raise ValueError("an event must be a JSON object")
    what, data, key = event.get("what"), event.get("data", ""), event.get("key")
    if not isinstance(what, str) or not what or len(what) > 255:
        raise ValueError('"what" must be a string of 1 to 255 characters')
    if not isinstance(data, str):
        raise ValueError('"data" must be a string (JSON text, not an object)')
    if key is not None and not isinstance(key, str):
        raise ValueError('"key" must be a string')
    tags = _tags(event.get("tags"))
    when = _when(event["when"]) if "when" in event else now()
    # No tags yet: set here, TagField's post_save would update the tag links one query
    # at a time, which is what this view exists to avoid. The column is set afterwards.
    return Event(what=what, when=when, data=data), tags, key


def _refusal(request):
    """An answer refusing the request as a whole, or None."""
    if request.method != "POST":
        return HttpResponse(status=405)
    if request.content_type != "application/json":
        return JsonResponse({"error": "Content-Type must be application/json"}, status=415)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return JsonResponse({"error": "bad Content-Length"}, status=400)
    if limit is not None and length > limit:
        return JsonResponse({"error": f"body over {limit} bytes"}, status=413)
    return None


@csrf_exempt
def post_events(request):
    refused = _refusal(request)
    if refused is not None:
        return refused
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
        except (ValueError, TypeError, OverflowError) as err:
            return JsonResponse({"error": str(err), "index": index}, status=400)
    with transaction.atomic(), connection.cursor() as cursor:
        _keys_table(cursor)
        fresh = _first_times(cursor, rows)
        saved = _save(fresh)
        cursor.executemany(f"INSERT OR IGNORE INTO {KEYS} (key, event_id) VALUES (%s, %s)",
                           [(key, row.pk) for row, _, key in fresh if key is not None])
    return JsonResponse({"saved": saved, "duplicates": len(rows) - saved})


_table_made = False


def _keys_table(cursor):
    """Create the key table once a process (a table of an older image, without event
    ids, is replaced: its keys could not be matched to their events), then remove the
    keys whose event is gone."""
    global _table_made
    if not _table_made:
        cursor.execute(f"PRAGMA table_info({KEYS})")
        columns = [row[1] for row in cursor.fetchall()]
        if columns and "event_id" not in columns:
            cursor.execute(f"DROP TABLE {KEYS}")
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {KEYS} "
                       "(key TEXT PRIMARY KEY, event_id INTEGER NOT NULL)")
        _table_made = True
    cursor.execute(f"DELETE FROM {KEYS} WHERE event_id NOT IN "
                   f"(SELECT id FROM {Event._meta.db_table})")


def _first_times(cursor, rows):
    """The rows whose key (None: no key) was never saved, nor earlier in this batch."""
    keys = [key for _, _, key in rows if key is not None]
    seen = set()
    for start in range(0, len(keys), 500):   # SQLite's bound on query parameters
        chunk = keys[start:start + 500]
        cursor.execute(f"SELECT key FROM {KEYS} WHERE key IN ({','.join(['%s'] * len(chunk))})",
                       chunk)
        seen.update(found for found, in cursor.fetchall())
    fresh = []
    for row in rows:
        if row[2] is None or row[2] not in seen:
            fresh.append(row)
            if row[2] is not None:
                seen.add(row[2])
    return fresh


def _save(rows):
    """Insert the events, their tags and tag links in bulk; how many were saved."""
    ctype = ContentType.objects.get_for_model(Event)
    tags, links, by_text = {}, [], defaultdict(list)
    for row, text, _ in rows:
        row.save()
        by_text[text].append(row.pk)
        for name in parse_tag_input(text):
            if name not in tags:
                tags[name] = Tag.objects.get_or_create(name=name)[0]
            links.append(TaggedItem(tag=tags[name], content_type=ctype, object_id=row.pk))
    TaggedItem.objects.bulk_create(links)
    for text, pks in by_text.items():   # a run's events share a few tag strings
        Event.objects.filter(pk__in=pks).update(tags=text)
    return len(rows)
