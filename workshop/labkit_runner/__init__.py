"""labkit_runner: the program a labkit training Job runs.

It reads a resolved RunSpec, fine-tunes the base model with LoRA or QLoRA through TRL's
SFTTrainer, evaluates before and after on a held-out split, uploads the adapter and
`results.json`, reports events to the lab-controller and writes the pod's termination message.
Start it with `python -m labkit_runner`.
"""

__version__ = "0.1.0"
