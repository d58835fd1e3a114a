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


def rises(values: list[float]) -> bool:
    """Every value is above the one before (every epoch, every angle)."""
    return all(b > a for a, b in pairwise(values))


def falls(values: list[float]) -> bool:
    return all(b < a for a, b in pairwise(values))


LR = ("lr_sensitivity",)
FASHION = ("fashion_mnist",)
SPEED = ("optimizer_speed",)
QUADRATIC = ("quadratic_model",)
PATHS = ("optimizer_paths",)
PRECONDITIONING = ("preconditioning",)
NOISE = ("noise_floor",)
SEEDS = ("schedule_seeds",)

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
        lambda r: falls(curve(r, "MySGD", "loss")) and rises(curve(r, "MySGD", "accuracy")),
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
    "best-lr-gaps-within-seed-spread": Claim(
        FASHION + SEEDS,
        "fig-optimizer-choice",
        "at their best rates the five end closer in accuracy than four seeds of one setting do",
        lambda r: spread(r, "best_lr") < spread_of(seed_accuracies(r, "constant")),
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
    # momentum-concept: the paths figure (fig-optimizer-paths)
    "paths-same-effective-lr": Claim(
        PATHS,
        "fig-optimizer-paths",
        "on the quadratic, momentum's effective lr is within 15 % of SGD's lr",
        lambda r: within(effective_lr(r, "MySGDMomentum"), effective_lr(r, "MySGD"), 0.15),
    ),
    # quadratic: the formulas of the quadratic model against myoptim's measured rates
    "gd-stability-bound": Claim(
        QUADRATIC,
        "fig-quadratic-rates",
        "gradient descent converges just below lr = 2/L and diverges just above",
        lambda r: stable_inside_only(r, "gd"),
    ),
    "gd-rate-formula": Claim(
        QUADRATIC,
        "fig-quadratic-rates",
        "gradient descent's best rate is (kappa-1)/(kappa+1) within 1 %",
        lambda r: best_rates_follow(r, "gd", lambda kappa: (kappa - 1) / (kappa + 1)),
    ),
    "circling-rate-sqrt-alpha": Claim(
        QUADRATIC,
        "fig-quadratic-grid",
        "where both directions circle, momentum's rate is sqrt(alpha) within 1 %",
        lambda r: all(
            within(measured, math.sqrt(quadratic(r)["circling"]["momentum"]))
            for measured in quadratic(r)["circling"]["rates"]
        ),
    ),
    "momentum-stability-bound": Claim(
        QUADRATIC,
        "fig-quadratic-grid",
        "momentum converges just below lr = 2(1+alpha)/L and diverges just above",
        lambda r: stable_inside_only(r, "momentum"),
    ),
    "momentum-rate-formula": Claim(
        QUADRATIC,
        "fig-quadratic-grid",
        "momentum's best rate is (sqrt(kappa)-1)/(sqrt(kappa)+1) within 1 %",
        lambda r: best_rates_follow(r, "momentum", lambda k: (k**0.5 - 1) / (k**0.5 + 1)),
    ),
    "steps-per-e": Claim(
        QUADRATIC,
        "fig-quadratic-grid",
        "at kappa = 100 shrinking the error by e takes about 50 steps of GD and 5 of momentum",
        lambda r: (
            within(steps_per_e(r, "100", "gd"), 50, 0.05)
            and within(steps_per_e(r, "100", "momentum"), 5, 0.05)
        ),
    ),
    "heavy-momentum-slower-than-gd": Claim(
        QUADRATIC,
        "fig-quadratic-paths",
        "momentum 0.9, wherever both directions circle, is slower than the best GD (kappa 10)",
        lambda r: (
            min(quadratic(r)["circling"]["rates"])
            > quadratic(r)["best"][str(quadratic(r)["kappa"])]["gd"]["rate"]
        ),
    ),
    # preconditioning: rotated quadratics (fig-preconditioning-rotation)
    "gd-rotation-invariant": Claim(
        PRECONDITIONING,
        "fig-preconditioning-rotation",
        "gradient descent takes the same number of steps at every angle",
        lambda r: len(set(steps(r, "MySGD"))) == 1 and converged(r, "MySGD"),
    ),
    "adagrad-wins-axis-aligned": Claim(
        PRECONDITIONING,
        "fig-preconditioning-rotation",
        "at 0 degrees AdaGrad takes under a tenth of gradient descent's steps",
        lambda r: 10 * steps(r, "MyAdaGrad")[0] < steps(r, "MySGD")[0],
    ),
    "adagrad-steps-grow-with-angle": Claim(
        PRECONDITIONING,
        "fig-preconditioning-rotation",
        "AdaGrad's steps rise with the angle, as the best diagonal kappa does",
        lambda r: (
            rises(steps(r, "MyAdaGrad")) and rises(r["preconditioning"]["best_diagonal_kappa"])
        ),
    ),
    "adagrad-slower-rotated": Claim(
        PRECONDITIONING,
        "fig-preconditioning-rotation",
        "at 45 degrees AdaGrad takes more steps than gradient descent",
        lambda r: converged(r, "MyAdaGrad") and steps(r, "MyAdaGrad")[-1] > steps(r, "MySGD")[-1],
    ),
    "rmsprop-hovers": Claim(
        PRECONDITIONING,
        "fig-preconditioning-rotation",
        "RMSProp takes over 10x AdaGrad's steps at 0 degrees and over 2x GD's at 45",
        lambda r: (
            steps(r, "MyRMSProp")[0] > 10 * steps(r, "MyAdaGrad")[0]
            and steps(r, "MyRMSProp")[-1] > 2 * steps(r, "MySGD")[-1]
        ),
    ),
    "adam-near-the-momentum-bound": Claim(
        PRECONDITIONING,
        "fig-preconditioning-rotation",
        "Adam's steps at every angle are within 10 % of ln(1 / tolerance) / ln(1 / 0.9)",
        lambda r: all(
            within(count, math.log(1 / r["preconditioning"]["tolerance"]) / math.log(1 / 0.9), 0.10)
            for count in steps(r, "MyAdam")
        ),
    ),
    # preconditioning: weight decay (fig-weight-decay)
    "decoupled-decay-uniform": Claim(
        PRECONDITIONING,
        "fig-weight-decay",
        "decoupled decay shrinks both weights by lr * weight_decay per step (within 5 %)",
        lambda r: all(
            within(rate, decay(r)["lr_times_decay"], 0.05)
            for rate in decay(r)["per_step"]["decoupled (AdamW)"]
        ),
    ),
    "l2-decay-depends-on-noise": Claim(
        PRECONDITIONING,
        "fig-weight-decay",
        "L2 inside Adam: the noise-1 weight decays at lr*wd/noise, the noise-0.01 one 10x faster",
        lambda r: (
            within(
                decay(r)["per_step"]["L2 inside Adam"][1],
                decay(r)["lr_times_decay"] / decay(r)["noise"][1],
                0.05,
            )
            and decay(r)["per_step"]["L2 inside Adam"][0]
            > 10 * decay(r)["per_step"]["L2 inside Adam"][1]
        ),
    ),
    # noise: the noise floor and schedules (fig-noise-floor)
    "noise-floor-formula": Claim(
        NOISE,
        "fig-noise-floor",
        "every measured floor is within 3 % of lr * sigma^2 / (2 (2 - lr * lambda))",
        lambda r: all(
            within(f["measured"], f["formula"], 0.03) for f in r["noise_floor"]["floors"]
        ),
    ),
    "noise-floor-linear": Claim(
        NOISE,
        "fig-noise-floor",
        "the floor's log-log slope against the learning rate is 1 within 10 %",
        lambda r: within(r["noise_floor"]["slope"], 1.0, 0.10),
    ),
    "decay-below-the-floor": Claim(
        NOISE,
        "fig-noise-floor",
        "StepLR, 1/k and cosine end over 10x below the constant learning rate's floor",
        lambda r: all(
            10 * loss < r["noise_floor"]["final"]["constant"]
            for name, loss in r["noise_floor"]["final"].items()
            if name != "constant"
        ),
    ),
    # noise-fashion-mnist: a schedule and several seeds (fig-schedule-seeds)
    "cosine-below-constant-every-seed": Claim(
        SEEDS,
        "fig-schedule-seeds",
        "every cosine seed ends below every constant-lr seed in test loss",
        lambda r: max(seed_losses(r, "cosine")) < min(seed_losses(r, "constant")),
    ),
    "cosine-narrows-the-spread": Claim(
        SEEDS,
        "fig-schedule-seeds",
        "the cosine schedule's spread of final test losses is under a third of constant lr's",
        lambda r: 3 * spread_of(seed_losses(r, "cosine")) < spread_of(seed_losses(r, "constant")),
    ),
}


def largest_drop(r: Results, name: str) -> float:
    """The largest fall of an optimizer's test accuracy from one epoch to the next."""
    accuracy = curve(r, name, "accuracy")
    return max(a - b for a, b in pairwise(accuracy))


def spread(r: Results, setting: str) -> float:
    return spread_of([final(r, setting, n) for n in r["fashion_mnist"][setting]])


def seconds(r: Results) -> dict[str, float]:
    return {n: v["seconds_per_epoch"] for n, v in r["fashion_mnist"]["same_lr"].items()}


def state(r: Results) -> dict[str, float]:
    return {n: v["state_mb"] for n, v in r["fashion_mnist"]["same_lr"].items()}


def quadratic(r: Results) -> Results:
    return r["quadratic_model"]


def within(measured: float, formula: float, tolerance: float = 0.01) -> bool:
    return abs(measured / formula - 1) < tolerance


def best_rates_follow(r: Results, method: str, formula: Callable[[float], float]) -> bool:
    """At every condition number measured, the method's rate at its best settings."""
    best = quadratic(r)["best"]
    return all(within(best[kappa][method]["rate"], formula(float(kappa))) for kappa in best)


def stable_inside_only(r: Results, method: str) -> bool:
    """Converges at 0.99 times the stability bound, diverges at 1.01 times."""
    bounds = quadratic(r)["bounds"][method]
    return bounds["inside"] < 1 < bounds["outside"]


def steps_per_e(r: Results, kappa: str, method: str) -> float:
    return -1 / math.log(quadratic(r)["best"][kappa][method]["rate"])


def effective_lr(r: Results, name: str) -> float:
    """lr / (1 - momentum): the step along the quadratic's valley floor in the paths figure."""
    settings = r["optimizer_paths"]["Ill-conditioned quadratic"][name]["settings"]
    return settings["lr"] / (1 - settings.get("momentum", 0.0))


def steps(r: Results, name: str) -> list[int]:
    """Steps to reach the tolerance at each rotation angle, at the best learning rate."""
    return r["preconditioning"]["steps"][name]


def converged(r: Results, name: str) -> bool:
    return max(steps(r, name)) < r["preconditioning"]["never"]


def decay(r: Results) -> Results:
    return r["preconditioning"]["weight_decay"]


def seed_losses(r: Results, schedule: str) -> list[float]:
    """The final test loss of every seed."""
    return r["schedule_seeds"]["final_loss"][schedule]


def seed_accuracies(r: Results, schedule: str) -> list[float]:
    """The final test accuracy of every seed."""
    return [run["accuracy"][-1] for run in r["schedule_seeds"]["runs"][schedule]]


def spread_of(values: list[float]) -> float:
    return max(values) - min(values)
