"""6. The built-in generators alone: no queue, no database writes (grid files are written
and then discarded, as a run that does not complete would)."""
import time
import uuid
from dataclasses import dataclass, field

from automation.generators import get_generator
from automation.models import GenerationJob
from bench.data import bench_user, job_params_from_api
from bench.requests_bodies import DIALOGUE_BODY, GRID_BODY, PROMPT_BODY


@dataclass
class BenchContext:
    """What a generator sees of its job (automation.generators.JobContext), without a queue."""

    job: GenerationJob
    checkpoints: list = field(default_factory=list)

    @property
    def params(self):
        return self.job.params

    def checkpoint(self, progress=None) -> None:
        self.checkpoints.append(progress)


def measure(*, seconds: float) -> dict:
    user, token = bench_user("bench-generators")
    cases = {
        "dialogue": ("dialogue/generate", DIALOGUE_BODY, lambda artifact: len(artifact.written["lines"]), "lines"),
        "prompt": ("prompt/enhance", PROMPT_BODY, lambda artifact: 1, "enhancements"),
        "grid": ("character/grid/generate", GRID_BODY, lambda artifact: 1, "sheets"),
    }
    results = {}
    for job_type, (path, body, units, unit_name) in cases.items():
        params = job_params_from_api(token=token, path=path, body=body)
        generator = get_generator(job_type)
        made = runs = 0
        started = time.perf_counter()
        while runs == 0 or time.perf_counter() - started < seconds:
            # A new job id each run: the seed of a request without one comes from it.
            job = GenerationJob(job_id=uuid.uuid4(), owner=user, type=job_type, params=params)
            artifact = generator.run(BenchContext(job=job))
            made += units(artifact)
            runs += 1
            discard = getattr(artifact, "discard", None)
            if discard:
                discard()
        elapsed = time.perf_counter() - started
        results[job_type] = {"runs": runs, "unit": unit_name, "made": made, "seconds": elapsed, "per_s": made / elapsed,
                             "params": {k: params[k] for k in ("num_lines", "grid_size", "quality") if k in params}}  # fmt: skip
    return results
