"""L1, the limitation: a prefix cannot change a head's relative attention over the content (docs/limitation.md).

Modules: ``identity`` (the symbolic identity, the numeric instances, their claims), ``theorem`` (the
registered object and its parameters).
"""
from .theorem import THEOREM

__all__ = ["THEOREM"]
