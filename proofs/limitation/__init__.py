"""L1, the limitation: a prefix cannot change a head's relative attention over the content (docs/limitation.md).

Modules: ``theorem`` (the symbolic identity, the numeric instances, the registered object).
"""
from .theorem import THEOREM

__all__ = ["THEOREM"]
