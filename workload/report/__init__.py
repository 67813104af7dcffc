"""HTML reports of one or more run directories: metrics, checks and inline SVG plots."""

from workload.report.page import format_metric, render, write_report

__all__ = ["format_metric", "render", "write_report"]
