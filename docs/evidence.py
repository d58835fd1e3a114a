"""What each comparative sentence of the book rests on, and how it follows from the numbers.

A page makes a claim with ``{claim}`id``` (docs/_ext/claims.py); the build evaluates ``holds``
on the JSON files the gallery examples wrote and fails when a claim no longer holds. ``results``
names those files (gallery/plot_<name>.py writes <name>.json), ``figure`` the figure the
sentence cites, ``says`` the claim in a few words, for the build's message.

A claim on timings has ``measured``: the numbers it compares, as the page's note gives them
when this machine's timings contradict the sentence. Such a claim fails only the reference
build (``MYOPTIM_REFERENCE_BUILD=1``); on a reader's machine it gets the note instead. Its
sentence should still hold on any machine that is not busy with something else: it compares
the fastest of several measurements, with a wide margin (tests/test_claims.py scales every
timing from 0.3 to 3 times and checks that only timing claims change).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from claims import NotMeasured

Results = dict[str, Any]
ADAPTIVE = ("MyAdam", "MyAdaGrad", "MyRMSProp")


@dataclass(frozen=True)
class Claim:
    results: tuple[str, ...]
    figure: str
    says: str
    holds: Callable[[Results], bool]
    measured: Callable[[Results], str] | None = None


def sweep(r: Results) -> dict[str, dict[str, float]]:
    return r["lr_sensitivity"]["summary"]


def sweep_losses(r: Results, name: str, low: float, high: float) -> list[float]:
    """An optimizer's test losses of the sweep at learning rates from low to high."""
    s = r["lr_sensitivity"]
    pairs = zip(s["learning_rates"], s["losses"][name], strict=True)
    return [loss for lr, loss in pairs if low * 0.999 <= lr <= high * 1.001]


def final(r: Results, setting: str, name: str, curve: str = "accuracy") -> float:
    return r["fashion_mnist"][setting][name][curve][-1]


def curve(r: Results, name: str, which: str) -> list[float]:
    return r["fashion_mnist"]["same_lr"][name][which]


def speed(r: Results, problem: str, name: str) -> float:
    if reason := r["optimizer_speed"].get("not_measured", {}).get(name):
        raise NotMeasured(f"{name}: {reason}")
    return r["optimizer_speed"]["ms_per_step"][problem][name]


PROBLEMS = {"mlp": "MLP", "many_tensors": "1000 tensors"}  # as the figure's panels name them


def speeds(problem: str, *names: str) -> Callable[[Results], str]:
    """What a speed claim's note gives: the milliseconds of these implementations."""

    def measured(r: Results) -> str:
        times = ", ".join(f"{n} {speed(r, problem, n):.3g} ms" for n in names)
        return f"{PROBLEMS[problem]}: {times} per step"

    return measured


def rises_every_epoch(values: list[float]) -> bool:
    return all(b > a for a, b in pairwise(values))


def falls_every_epoch(values: list[float]) -> bool:
    return all(b < a for a, b in pairwise(values))


LR = ("lr_sensitivity",)
FASHION = ("fashion_mnist",)
SPEED = ("optimizer_speed",)

CLAIMS: dict[str, Claim] = {
    # adam-principle: the sweep (fig-lr-sensitivity)
    "adam-wider-than-sgd": Claim(
        LR,
        "fig-lr-sensitivity",
        "Adam's good range is wider than SGD's and momentum's",
        lambda r: (
            sweep(r)["MyAdam"]["width"]
            > max(sweep(r)["MySGD"]["width"], sweep(r)["MySGDMomentum"]["width"])
        ),
    ),
    "adam-diverges": Claim(
        LR,
        "fig-lr-sensitivity",
        "Adam, too, fails at the largest learning rates",
        lambda r: sweep_losses(r, "MyAdam", 1.0, 1.0)[0] > math.log(10),
    ),
    "rmsprop-widest": Claim(
        LR,
        "fig-lr-sensitivity",
        "RMSProp has the widest range relative to its own best",
        lambda r: sweep(r)["MyRMSProp"]["width"] == max(s["width"] for s in sweep(r).values()),
    ),
    "rmsprop-best-worse-than-adam": Claim(
        LR,
        "fig-lr-sensitivity",
        "RMSProp's best loss is worse than Adam's at every lr 1e-4..1e-2",
        lambda r: sweep(r)["MyRMSProp"]["best_loss"] > max(sweep_losses(r, "MyAdam", 1e-4, 1e-2)),
    ),
    "adam-lowest-loss": Claim(
        LR,
        "fig-lr-sensitivity",
        "Adam reaches the lowest test loss of the sweep",
        lambda r: sweep(r)["MyAdam"]["best_loss"] == min(s["best_loss"] for s in sweep(r).values()),
    ),
    # fashion-mnist-comparison: one learning rate for all (fig-optimizer-comparison)
    "sgd-slowest": Claim(
        FASHION,
        "fig-optimizer-comparison",
        "at lr 1e-3 SGD has the highest loss every epoch",
        lambda r: all(
            curve(r, "MySGD", "loss")[e]
            == max(curve(r, n, "loss")[e] for n in r["fashion_mnist"]["same_lr"])
            for e in range(r["fashion_mnist"]["epochs"])
        ),
    ),
    "momentum-faster-than-sgd": Claim(
        FASHION,
        "fig-optimizer-comparison",
        "at lr 1e-3 momentum's loss is below SGD's every epoch",
        lambda r: all(
            m < s
            for m, s in zip(
                curve(r, "MySGDMomentum", "loss"), curve(r, "MySGD", "loss"), strict=True
            )
        ),
    ),
    "adaptive-fastest": Claim(
        FASHION,
        "fig-optimizer-comparison",
        "at lr 1e-3 the adaptive three beat momentum",
        lambda r: (
            max(final(r, "same_lr", n, "loss") for n in ADAPTIVE)
            < final(r, "same_lr", "MySGDMomentum", "loss")
        ),
    ),
    "sgd-smooth": Claim(
        FASHION,
        "fig-optimizer-comparison",
        "SGD's curves improve every epoch",
        lambda r: (
            falls_every_epoch(curve(r, "MySGD", "loss"))
            and rises_every_epoch(curve(r, "MySGD", "accuracy"))
        ),
    ),
    "rmsprop-dips": Claim(
        FASHION,
        "fig-optimizer-comparison",
        "RMSProp's test accuracy drops the most in one epoch",
        lambda r: (
            largest_drop(r, "MyRMSProp")
            == max(largest_drop(r, n) for n in r["fashion_mnist"]["same_lr"])
            > 0
        ),
    ),
    # fashion-mnist-choosing: each at its best learning rate (fig-optimizer-choice)
    "best-lr-from-the-sweep": Claim(
        LR + FASHION,
        "fig-optimizer-choice",
        "the best-lr runs use the sweep's best rates",
        lambda r: all(
            math.isclose(r["fashion_mnist"]["best_lr"][n]["lr"], s["best_lr"])
            for n, s in sweep(r).items()
        ),
    ),
    "best-lr-closes-the-gap": Claim(
        FASHION,
        "fig-optimizer-choice",
        "at their best rates the five are closer than at 1e-3",
        lambda r: spread(r, "best_lr") < spread(r, "same_lr") / 2,
    ),
    "rmsprop-better-at-1e-3": Claim(
        FASHION,
        "fig-optimizer-choice",
        "RMSProp ends higher at lr 1e-3 than at the sweep's best",
        lambda r: final(r, "same_lr", "MyRMSProp") > final(r, "best_lr", "MyRMSProp"),
    ),
    "momentum-below-adaptive-at-best": Claim(
        FASHION,
        "fig-optimizer-choice",
        "at their best rates momentum ends below Adam and AdaGrad",
        lambda r: (
            final(r, "best_lr", "MySGDMomentum")
            < min(final(r, "best_lr", n) for n in ("MyAdam", "MyAdaGrad"))
        ),
    ),
    "adam-epoch-slower-than-sgd": Claim(
        FASHION,
        "fig-optimizer-choice",
        "an Adam epoch takes longer than SGD's, but under 4x as long",
        lambda r: seconds(r)["MySGD"] < seconds(r)["MyAdam"] < 4 * seconds(r)["MySGD"],
        lambda r: (
            f"MySGD {seconds(r)['MySGD']:.2f} s, MyAdam {seconds(r)['MyAdam']:.2f} s "
            f"(×{seconds(r)['MyAdam'] / seconds(r)['MySGD']:.2f}) in the fastest epoch"
        ),
    ),
    "state-sizes": Claim(
        FASHION,
        "fig-optimizer-choice",
        "state: SGD none, Adam twice momentum/AdaGrad/RMSProp",
        lambda r: (
            state(r)["MySGD"] == 0
            and state(r)["MySGDMomentum"] == state(r)["MyAdaGrad"] == state(r)["MyRMSProp"] > 0
            and math.isclose(state(r)["MyAdam"], 2 * state(r)["MySGDMomentum"])
        ),
    ),
    # fast-path-measurements: the speed of one Adam step (fig-optimizer-speed)
    "foreach-fused-grow-with-tensors": Claim(
        SPEED,
        "fig-optimizer-speed",
        "on CPU foreach and fused are 5x slower on 1000 tensors",
        lambda r: all(
            speed(r, "many_tensors", n) > 5 * speed(r, "mlp", n)
            for n in ("torch foreach", "torch fused")
        ),
        lambda r: "; ".join(
            speeds(p, "torch foreach", "torch fused")(r) for p in ("mlp", "many_tensors")
        ),
    ),
    "flattened-beats-fused-on-many": Claim(
        SPEED,
        "fig-optimizer-speed",
        "on 1000 tensors Flattened(MyAdam) beats foreach and fused",
        lambda r: (
            speed(r, "many_tensors", "Flattened(MyAdam)")
            < min(speed(r, "many_tensors", n) for n in ("torch foreach", "torch fused"))
        ),
        speeds("many_tensors", "Flattened(MyAdam)", "torch foreach", "torch fused"),
    ),
    "flattened-gains-little-on-mlp": Claim(
        SPEED,
        "fig-optimizer-speed",
        "on the MLP Flattened(MyAdam) does not even halve MyAdam's step time",
        lambda r: speed(r, "mlp", "MyAdam") < 2 * speed(r, "mlp", "Flattened(MyAdam)"),
        speeds("mlp", "MyAdam", "Flattened(MyAdam)"),
    ),
    "compiled-adam-slower": Claim(
        SPEED,
        "fig-optimizer-speed",
        "MyAdam compiled as written is slower than not compiled",
        lambda r: (
            speed(r, "mlp", "Flattened(MyAdam, compile=True)")
            > speed(r, "mlp", "Flattened(MyAdam)")
        ),
        speeds("mlp", "Flattened(MyAdam, compile=True)", "Flattened(MyAdam)"),
    ),
    "compiled-within-3x-bound": Claim(
        SPEED,
        "fig-optimizer-speed",
        "Flattened(MyCompiledAdam) is within 3x of the bound",
        lambda r: (
            speed(r, "mlp", "Flattened(MyCompiledAdam)") < 3 * r["optimizer_speed"]["bound_ms"]
        ),
        lambda r: (
            speeds("mlp", "Flattened(MyCompiledAdam)")(r)
            + f"; memory bound {r['optimizer_speed']['bound_ms']:.3g} ms"
        ),
    ),
}


def largest_drop(r: Results, name: str) -> float:
    """The largest fall of an optimizer's test accuracy from one epoch to the next."""
    accuracy = curve(r, name, "accuracy")
    return max(a - b for a, b in pairwise(accuracy))


def spread(r: Results, setting: str) -> float:
    accuracies = [final(r, setting, n) for n in r["fashion_mnist"][setting]]
    return max(accuracies) - min(accuracies)


def seconds(r: Results) -> dict[str, float]:
    return {n: v["seconds_per_epoch"] for n, v in r["fashion_mnist"]["same_lr"].items()}


def state(r: Results) -> dict[str, float]:
    return {n: v["state_mb"] for n, v in r["fashion_mnist"]["same_lr"].items()}
