"""JSON-lines output shared by the fp4kit agent's Python scripts.

The agent reads one JSON object per stdout line (see apps/agent/src/jobs/python-output.ts):
  {"type": "log", "level": "info", "message": "..."}
  {"type": "metric", "values": {"progress": 0.5, ...}}       (MetricValuesSchema fields)
  {"type": "artifact", "kind": "QUALITY_REPORT", "json": {...}, "markdown": "..."}
  {"type": "result", "summary": {...}, "inputBytes": n, "outputBytes": n}
  {"type": "error", "message": "..."}                         (then a non-zero exit)
Anything else on stdout is kept as a plain log line, and stderr is logged as STDERR, so the
scripts stay readable when run by hand.
"""

import importlib.util
import json
import sys

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MISSING_PACKAGES = 3
EXIT_INTERRUPTED = 130


def emit(message):
    sys.stdout.write(json.dumps(message, allow_nan=False) + "\n")
    sys.stdout.flush()


def log(message, level="info"):
    emit({"type": "log", "level": level, "message": message})


def metric(**values):
    emit({"type": "metric", "values": values})


def artifact(kind, document, markdown=None):
    emit({"type": "artifact", "kind": kind, "json": document, "markdown": markdown})


def result(summary=None, input_bytes=None, output_bytes=None):
    emit({"type": "result", "summary": summary, "inputBytes": input_bytes, "outputBytes": output_bytes})


def fail(message, code=EXIT_FAILED):
    emit({"type": "error", "message": message})
    sys.exit(code)


def require_packages(purpose, packages):
    """Fails with one clear message naming every missing package (module name -> pip name)."""
    missing = [pip for module, pip in packages.items() if importlib.util.find_spec(module) is None]
    if missing:
        fail(
            f"{purpose} needs Python packages that are not installed: {', '.join(missing)}. "
            f"Install them into the Python that runs this script ({sys.executable}): "
            f"{sys.executable} -m pip install {' '.join(missing)}",
            EXIT_MISSING_PACKAGES,
        )


def has_package(module):
    return importlib.util.find_spec(module) is not None
