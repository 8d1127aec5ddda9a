"""The sandbox demos: ``python -m backpack_demo`` (pure MM, ``make demo``), ``backpack_demo.xemm`` and
``backpack_demo.dca`` (the strategy templates), each on the shared harness (``backpack_harness``)."""
