"""One run, start to finish: generator, recorder, realised schedule, metrics, SWF out."""
