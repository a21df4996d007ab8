"""labkit_client: submit fine-tuning runs from a notebook and use what they produce.

In a notebook:

    from labkit_client import LabkitClient
    client = LabkitClient.from_env()                 # LABKIT_API_URL and LABKIT_TOKEN
    client.estimate(exercise="qlora-challenge", training={"microBatchSize": 8})["estimate"]["totalMiB"]
    run = client.submit(exercise="qlora-challenge", dataset="my-data.jsonl")  # raises RunRefused if it can never fit
    run = client.wait(run["id"])                     # progress bar until it ends
    client.plot_loss(run["id"]); client.results(run["id"])
    model, tokenizer = client.load_adapter(run["id"])
"""

from .adapters import ask, load_adapter
from .client import LabkitClient, LabkitError, RunRefused
from .local_run import run_local

__all__ = ["LabkitClient", "LabkitError", "RunRefused", "ask", "load_adapter", "run_local"]
