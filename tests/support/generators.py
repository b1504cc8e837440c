"""Scriptable stand-ins for a generator, to drive the job engine through each failure.

They replace the registry entry for a job type; the job engine, task entry point and
database are the real ones. The artifact they produce is the real prompt artifact, so a
completed job leaves a real PromptEnhancement row to count.
"""
import time
from collections.abc import Callable

from automation.generators import Generator, JobContext, _registry, get_generator
from automation.generators.prompt import run as run_prompt


def scripted(*steps: Callable[[JobContext], None], in_process: bool = False) -> Generator:
    """A prompt generator that runs steps[n] on its n-th call (the last one repeats), then
    produces the real prompt artifact. A step raises to make that attempt fail. With
    `in_process`, the engine may run several of its jobs in one task, as the built-ins'."""
    calls = {"n": 0}

    def run(ctx: JobContext):
        step = steps[min(calls["n"], len(steps) - 1)]
        calls["n"] += 1
        step(ctx)
        return run_prompt(ctx)

    # get_generator loads the real registry first, so the real module never re-registers over us.
    return Generator(
        type="prompt", run=run, cleanup=get_generator("prompt").cleanup, in_process=lambda params: in_process
    )


def succeed(ctx: JobContext) -> None:
    ctx.checkpoint(50)


def raise_(exc: Exception) -> Callable[[JobContext], None]:
    def step(ctx: JobContext) -> None:
        raise exc

    return step


def slow(seconds: float, *, steps: int = 20) -> Callable[[JobContext], None]:
    """Works for `seconds`, checking in at each step like a real provider loop."""

    def step(ctx: JobContext) -> None:
        for i in range(steps):
            time.sleep(seconds / steps)
            ctx.checkpoint(int(100 * (i + 1) / (steps + 1)))

    return step


def install_slow_prompt_generator(seconds: float) -> None:
    """Used by the cluster wrapper script: every prompt job takes `seconds`."""
    _registry["prompt"] = scripted(slow(seconds))
