"""A Trainer callback that reports each logged step to the controller and keeps the loss series."""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from .events import EventSender
from .memory import memory_snapshot


class ProgressReporter(TrainerCallback):
    """Sends `progress` and `memory` events on every Trainer log that carries a loss."""

    def __init__(self, events: EventSender):
        self.events = events
        #: (step, loss, learningRate) points, in order, as RunResult.lossSeries wants them.
        self.loss_series: list[dict[str, Any]] = []

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if not logs or "loss" not in logs or not math.isfinite(float(logs["loss"])):
            return
        point = {"step": int(state.global_step), "loss": float(logs["loss"])}
        learning_rate = logs.get("learning_rate")
        if learning_rate is not None:
            point["learningRate"] = float(learning_rate)
        self.loss_series.append(point)
        progress = {"step": point["step"], "totalSteps": int(state.max_steps), "loss": point["loss"]}
        if "learningRate" in point:
            progress["learningRate"] = point["learningRate"]
        if state.epoch is not None:
            progress["epoch"] = float(state.epoch)
        self.events.send("progress", **progress)
        self.events.send("memory", **memory_snapshot())
