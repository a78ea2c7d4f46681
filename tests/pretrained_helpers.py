"""Shared helpers of the pretrained-head tests: R1 instances on a random BERT-layout model the tests write."""
from proofs.pretrained.instance import R1Instance
from proofs.pretrained.theorem import THEOREM

FAST = {"dim": 1, "eps": "0.2", "target": "sin(2*x0)/2", "lipschitz": "1.01", "bound": "0.51", "points": "2000"}


def instance(folder, **options) -> R1Instance:
    """The R1 instance of ``options`` (over FAST) on the model in ``folder``, layer 1 head 2 unless given."""
    return R1Instance(THEOREM.parameters(**{"weights": str(folder), "layer": 1, "head": 2, **FAST, **options}))
