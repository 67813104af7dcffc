"""wlgen convert: a sacct dump, SWF trace or wlgen-jobs file to SWF or wlgen-jobs."""

from __future__ import annotations

import click

from workload.errors import InputError
from workload.sources.anonymize import Anonymizer
from workload.sources.jsonl import write_jsonl
from workload.sources.load import load_source
from workload.sources.sacct import FORMATS
from workload.sources.to_swf import SwfConversion
from workload.swf import write_swf


def output_kind(path: str) -> str:
    for suffix, kind in ((".jsonl", "jsonl"), (".swf", "swf"), (".swf.gz", "swf")):
        if path.endswith(suffix):
            return kind
    raise InputError("the output must end in .swf, .swf.gz or .jsonl", file=path,
                     field="-o")


@click.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="OUT.swf (or .swf.gz) or OUT.jsonl (wlgen-jobs: keeps every field).")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="What SOURCE is [default: recognised by its content].")
@click.option("--lenient", is_flag=True, help="Skip malformed rows (counted) instead of stopping.")
@click.option("--use-memory", is_flag=True, help="Keep the jobs' memory requests.")
@click.option("--anonymize", is_flag=True,
              help="Replace users, groups, accounts, partitions and job names by pseudonyms.")
@click.option("--anonymize-map", type=click.Path(dir_okay=False),
              help="Write the real -> pseudonym map here (JSON); without it, none is kept.")
@click.option("--seed", default="0", show_default=True, help="Key of the pseudonyms.")
def convert(source: str, output: str, fmt: str | None, lenient: bool, use_memory: bool,
            anonymize: bool, anonymize_map: str | None, seed: str) -> None:
    """Convert SOURCE (sacct -P/-p or --json dump, SWF, wlgen-jobs) to SWF or wlgen-jobs.

    Every input row is either written or counted as skipped, by reason, on stderr. For
    SWF, what it cannot carry (GPUs, QOS, names, dependencies beyond field 17...) is
    listed on stderr and in the header's Notes.

    \b
    Examples:
      wlgen convert sacct.txt -o site.jsonl
      wlgen convert sacct.json -o site.swf
      wlgen convert sacct.txt -o public.jsonl --anonymize --anonymize-map secret.json
    """
    kind = output_kind(output)
    if anonymize_map and not anonymize:
        raise InputError("--anonymize-map needs --anonymize", field="--anonymize-map")
    src = load_source(source, fmt, strict=not lenient, use_memory=use_memory)
    anonymizer = Anonymizer(seed) if anonymize else None
    # Read it all first: the source's notes (what it dropped or assumed) are only known
    # once it has been read, and they belong in the header and the report.
    specs = list(anonymizer.specs(src) if anonymizer else src)
    described = src.describe()
    if kind == "jsonl":
        count = write_jsonl(output, specs, {"source": described, "max_procs": src.max_procs,
                                            "anonymized": anonymize})
        lost: dict[str, int] = {}
    else:
        conversion = SwfConversion()
        records = list(conversion.records(specs))
        header = conversion.header(len(records), f"converted by wlgen from {source}")
        count = write_swf(output, header, records)
        lost = dict(conversion.lost)
    if anonymizer and anonymize_map:
        anonymizer.write_map(anonymize_map)
    notes = described.get("notes")
    report(source, output, count, dict(src.skipped), lost,
           dict(notes) if isinstance(notes, dict) else {})


def report(source: str, output: str, count: int, skipped: dict[str, int],
           lost: dict[str, int], notes: dict[str, int]) -> None:
    rows = count + sum(skipped.values())
    click.echo(f"wlgen: convert: {source} -> {output}: {count} jobs written, "
               f"{sum(skipped.values())} rows skipped ({rows} rows)", err=True)
    for reason, n in sorted(skipped.items()):
        click.echo(f"  skipped: {reason}: {n}", err=True)
    for note, n in sorted(notes.items()):
        click.echo(f"  note: {note}: {n}", err=True)
    for what, n in sorted(lost.items()):
        click.echo(f"  not carried by SWF: {what}: {n} jobs", err=True)
