"""Progress trackers: what the harness reads to decide whether the work is done."""
